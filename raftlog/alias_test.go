package raftlog

import "github.com/hashicorp/raft"

type raftLog = raft.Log

var errLogNotFound = raft.ErrLogNotFound
