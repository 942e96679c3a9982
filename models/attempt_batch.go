package models

import (
	"context"
	"errors"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Attempt records are written in group commits. Every delivery attempt
// ends in a small transaction (attempt row, delivery row, endpoint health);
// under load most of its cost is the transaction itself (BEGIN, COMMIT and
// the log flush), not the three statements. So attempts queue here and a
// writer takes everything waiting, up to maxAttemptBatch, into one
// transaction. An idle system still writes each attempt at once (a batch
// of one); a busy one shares one commit between many attempts. A caller
// returns only after its attempt is committed, so an activity never
// reports a delivery its log does not hold.
const (
	maxAttemptBatch   = 64
	attemptQueueSize  = 1024
	attemptTxDeadline = 30 * time.Second
)

type attemptWrite struct {
	ctx   context.Context
	d     Delivery
	a     Attempt
	final DeliveryStatus
	o     EndpointOutcome
	p     HealthPolicy
	done  chan attemptWritten
}

type attemptWritten struct {
	disabled bool
	err      error
}

// attemptWriter owns the queue and its writer goroutines; its zero value
// starts them on first use.
type attemptWriter struct {
	once  sync.Once
	queue chan *attemptWrite
	// mu is held for reading while an attempt is queued and for writing
	// by close, so nothing is sent on the closed queue.
	mu      sync.RWMutex
	closed  bool
	writers sync.WaitGroup
}

// ErrStoreClosed is returned by writes to a Store after Close.
var ErrStoreClosed = errors.New("store closed")

// write queues w and waits until it is committed or ctx ends. When ctx ends
// first the attempt may still be committed later; that is harmless, since
// recording is idempotent and the activity's retry finds it recorded.
func (aw *attemptWriter) write(db *gorm.DB, w *attemptWrite) (bool, error) {
	aw.mu.RLock()
	if aw.closed {
		aw.mu.RUnlock()
		return false, ErrStoreClosed
	}
	aw.once.Do(func() {
		aw.queue = make(chan *attemptWrite, attemptQueueSize)
		// SQLite has one connection, so one writer; PostgreSQL gets a few,
		// each committing its own batches in parallel.
		writers := 4
		if db.Dialector.Name() == "sqlite" {
			writers = 1
		}
		for range writers {
			aw.writers.Go(func() { aw.run(db) })
		}
	})
	select {
	case aw.queue <- w:
		aw.mu.RUnlock()
	case <-w.ctx.Done():
		aw.mu.RUnlock()
		return false, w.ctx.Err()
	}
	select {
	case r := <-w.done:
		return r.disabled, r.err
	case <-w.ctx.Done():
		return false, w.ctx.Err()
	}
}

// close stops taking attempts, lets the writers commit what is queued,
// and waits for them.
func (aw *attemptWriter) close() {
	aw.mu.Lock()
	if !aw.closed {
		aw.closed = true
		if aw.queue != nil {
			close(aw.queue)
		}
	}
	aw.mu.Unlock()
	aw.writers.Wait()
}

func (aw *attemptWriter) run(db *gorm.DB) {
	batch := make([]*attemptWrite, 0, maxAttemptBatch)
	for first := range aw.queue {
		batch = append(batch[:0], first)
	drain:
		for len(batch) < maxAttemptBatch {
			select {
			case w := <-aw.queue:
				batch = append(batch, w)
			default:
				break drain
			}
		}
		commitAttempts(db, batch)
		clear(batch)
	}
}

// commitAttempts writes a batch in one transaction. If anything in it
// fails, the transaction is rolled back and each attempt is written in a
// transaction of its own, so one bad write fails only its own caller.
func commitAttempts(db *gorm.DB, batch []*attemptWrite) {
	live := batch[:0:0]
	for _, w := range batch {
		if err := w.ctx.Err(); err != nil {
			w.done <- attemptWritten{err: err}
			continue
		}
		live = append(live, w)
	}
	if len(live) > 1 {
		ctx, cancel := context.WithTimeout(context.Background(), attemptTxDeadline)
		disabled := make([]bool, len(live))
		err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			for i, w := range live {
				var err error
				if disabled[i], err = recordAttemptTx(tx, w); err != nil {
					return err
				}
			}
			return nil
		})
		cancel()
		if err == nil {
			for i, w := range live {
				w.done <- attemptWritten{disabled: disabled[i]}
			}
			return
		}
	}
	for _, w := range live {
		var disabled bool
		err := db.WithContext(w.ctx).Transaction(func(tx *gorm.DB) error {
			var err error
			disabled, err = recordAttemptTx(tx, w)
			return err
		})
		w.done <- attemptWritten{disabled: disabled, err: err}
	}
}
