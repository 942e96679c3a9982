package devtemporal

import (
	"time"

	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/primitives"
)

const clusterName = "active"

// servicePorts are the gRPC ports of the four server roles plus the
// frontend's HTTP API port.
type servicePorts struct {
	frontend, http, history, matching, worker int
}

// serverConfig builds the static server config for one process hosting all
// roles, everything bound to ip.
func serverConfig(ip string, ports servicePorts, persistence config.Persistence) *config.Config {
	frontendAddr := hostPort(ip, ports.frontend)
	conf := &config.Config{}
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = ip
	conf.Persistence = persistence
	conf.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             frontendAddr,
				HTTPAddress:            hostPort(ip, ports.http),
			},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Services = map[string]config.Service{
		string(primitives.FrontendService): frontendConfig(ip, ports),
		string(primitives.HistoryService):  serviceConfig(ip, ports.history),
		string(primitives.MatchingService): serviceConfig(ip, ports.matching),
		string(primitives.WorkerService):   serviceConfig(ip, ports.worker),
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = frontendAddr
	return conf
}

func frontendConfig(ip string, ports servicePorts) config.Service {
	s := serviceConfig(ip, ports.frontend)
	s.RPC.HTTPPort = ports.http
	return s
}

func serviceConfig(ip string, port int) config.Service {
	var s config.Service
	s.RPC.GRPCPort = port
	s.RPC.BindOnIP = ip
	return s
}

// namespaceRefreshInterval is how often every role re-reads namespaces (and
// with them search attribute aliases); the server default is 2s.
const namespaceRefreshInterval = 500 * time.Millisecond

// dynamicConfig returns dev-server settings: the temporal CLI's dev-server
// values plus limits raised far enough that a local benchmark of a few
// hundred workflows per second is bound by the machine, not by rate limits.
func dynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		// New search attributes and Nexus endpoints are visible at once.
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key():     true,
		dynamicconfig.MakeKey("system.forceNexusEndpointRefreshOnRead"): true,
		dynamicconfig.NamespaceCacheRefreshInterval.Key():               namespaceRefreshInterval,

		// One partition per task queue: a single node gains nothing from more,
		// and a single partition keeps task dispatch simple and fast.
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,

		// Persistence QPS (the CLI raises these since the SA cache is bypassed).
		dynamicconfig.FrontendPersistenceMaxQPS.Key(): 10000,
		dynamicconfig.HistoryPersistenceMaxQPS.Key():  45000,
		dynamicconfig.MatchingPersistenceMaxQPS.Key(): 45000,
		dynamicconfig.WorkerPersistenceMaxQPS.Key():   10000,

		// Request rate limits.
		dynamicconfig.FrontendRPS.Key():                                         100000,
		dynamicconfig.FrontendMaxNamespaceRPSPerInstance.Key():                  100000,
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key():        1000,
		dynamicconfig.FrontendMaxConcurrentLongRunningRequestsPerInstance.Key(): 10000,
		dynamicconfig.HistoryRPS.Key():                                          100000,
		dynamicconfig.MatchingRPS.Key():                                         100000,

		// Host-level mutable state cache (the CLI's value).
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): 8192,
	}
}
