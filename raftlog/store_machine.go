package raftlog

import (
	"fmt"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/storage"
)

// StoreMachine adapts a storage.Store to StateMachine: entries are encoded storage.Commands.
// The response of an applied entry is a *storage.ApplyResult, or the *pgerror.Error that
// rejected it (which Propose returns as its error).
type StoreMachine struct {
	Store *storage.Store
}

var _ StateMachine = StoreMachine{}

// NewStoreFSM returns the state machine of s.
func NewStoreFSM(s *storage.Store) StoreMachine { return StoreMachine{Store: s} }

// AppliedIndex returns the store's applied index.
func (m StoreMachine) AppliedIndex() uint64 { return m.Store.AppliedIndex() }

// Apply decodes and applies one command. An undecodable entry is a deterministic rejection
// (every replica fails to decode it alike), but it still advances the applied index.
func (m StoreMachine) Apply(index uint64, data []byte) (any, error) {
	cmd, err := storage.DecodeCommand(data)
	if err != nil {
		rej := pgerror.Wrap(err, pgerror.Internal, "undecodable command: "+err.Error())
		// Record the index with an empty (rejected) command.
		if _, aerr := m.Store.Apply(index, &storage.Command{}); aerr != nil && pgerror.As(aerr) == nil {
			return nil, aerr
		}
		return rej, nil
	}
	defer cmd.Release()
	res, err := m.Store.Apply(index, cmd)
	if err != nil {
		if pe := pgerror.As(err); pe != nil {
			return pe, nil
		}
		return nil, fmt.Errorf("apply index %d: %w", index, err)
	}
	return res, nil
}

// Checkpoint writes a checkpoint of the store into dir.
func (m StoreMachine) Checkpoint(dir string) error { return m.Store.Checkpoint(dir) }

// RestoreFrom replaces the store's state with the checkpoint in dir.
func (m StoreMachine) RestoreFrom(dir string) error { return m.Store.RestoreFrom(dir) }
