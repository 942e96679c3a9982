# A CallRail webhook receiver written the way a Rails controller checks it:
#
#   signature = request.headers['Signature']      # Rails reads HTTP_SIGNATURE from the Rack env
#   digest    = OpenSSL::HMAC.digest('sha1', key, request.raw_post)
#   head :unauthorized unless ActiveSupport::SecurityUtils.secure_compare(Base64.strict_encode64(digest), signature)
#
# Rails is not installed here, so a few lines below build the Rack env the
# way a Rack server does (headers as HTTP_*, CONTENT_LENGTH, the raw body)
# and a Headers object that looks 'Signature' up as Rails' does. Only the
# Ruby standard library is used.
#
# Env: CALLRAIL_SIGNING_KEY, PORT (0 picks one). Prints "listening PORT", then
# "accepted|rejected <webhook-id> <detail>" per request.
require 'base64'
require 'json'
require 'openssl'
require 'socket'

KEY = ENV.fetch('CALLRAIL_SIGNING_KEY')
$stdout.sync = true

# ActionDispatch::Http::Headers: 'Signature' -> env['HTTP_SIGNATURE'].
class Headers
  CGI_VARIABLES = %w[CONTENT_TYPE CONTENT_LENGTH].freeze

  def initialize(env)
    @env = env
  end

  def [](name)
    @env[env_name(name)]
  end

  private

  def env_name(name)
    key = name.to_s.upcase.tr('-', '_')
    CGI_VARIABLES.include?(key) ? key : "HTTP_#{key}"
  end
end

# ActionDispatch::Request, the parts a webhook controller uses.
class Request
  attr_reader :env

  def initialize(env)
    @env = env
  end

  def headers
    Headers.new(@env)
  end

  def raw_post
    @env['rack.input']
  end

  def path
    @env['PATH_INFO']
  end
end

def secure_compare(a, b)
  a.bytesize == b.bytesize && OpenSSL.fixed_length_secure_compare(a, b)
end

# WebhooksController#callrail
def callrail(request)
  id = request.headers['Webhook-Id'] || '-'
  signature = request.headers['Signature'].to_s
  digest = OpenSSL::HMAC.digest('sha1', KEY, request.raw_post)
  unless secure_compare(Base64.strict_encode64(digest), signature)
    puts "rejected #{id} bad-signature"
    return [401, '{"error":"invalid signature"}']
  end
  JSON.parse(request.raw_post)
  puts "accepted #{id} #{request.path.split('/').last}"
  [200, '{"ok":true}']
end

# read_env parses one HTTP/1.1 request into a Rack env.
def read_env(sock)
  line = sock.gets("\r\n") or return nil
  method, target, = line.split(' ', 3)
  env = { 'REQUEST_METHOD' => method, 'PATH_INFO' => target.split('?').first }
  while (h = sock.gets("\r\n")) && h != "\r\n"
    name, value = h.split(':', 2)
    key = name.strip.upcase.tr('-', '_')
    key = "HTTP_#{key}" unless %w[CONTENT_TYPE CONTENT_LENGTH].include?(key)
    env[key] = value.strip
  end
  env['rack.input'] = sock.read(env['CONTENT_LENGTH'].to_i) || ''
  env
end

server = TCPServer.new('127.0.0.1', Integer(ENV.fetch('PORT', '0')))
puts "listening #{server.addr[1]}"
trap('TERM') { exit 0 }
loop do
  client = server.accept
  Thread.new(client) do |sock|
    env = read_env(sock)
    if env
      status, body = env['REQUEST_METHOD'] == 'POST' ? callrail(Request.new(env)) : [405, '{}']
      reason = { 200 => 'OK', 401 => 'Unauthorized', 405 => 'Method Not Allowed' }.fetch(status, 'Error')
      sock.write("HTTP/1.1 #{status} #{reason}\r\nContent-Type: application/json\r\n" \
                 "Content-Length: #{body.bytesize}\r\nConnection: close\r\n\r\n#{body}")
    end
  rescue StandardError => e
    warn "error: #{e.class}: #{e.message}"
    sock.write("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n") rescue nil
  ensure
    sock.close
  end
end
