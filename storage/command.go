package storage

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// CommandFormatVersion is the first byte of every encoded command. Bump it when the layout
// changes, and keep decoding the old versions (the log and snapshots outlive releases).
const CommandFormatVersion byte = 1

// Command is the payload of one Raft log entry. Exactly one of DDL, Write, ReserveIDs, Stream
// and Savepoint is set.
type Command struct {
	// Time is the leader's wall clock when it proposed the command, in microseconds since the
	// Unix epoch: the only clock apply may use (now(), processing time).
	Time       int64
	DDL        *DDL
	Write      *Write
	ReserveIDs *ReserveIDs
	Stream     *StreamCmd
	Savepoint  *SavepointCmd
}

// DDL is a catalog change. Exactly one of the operation fields is set.
type DDL struct {
	// ExpectCatalogVersion is the catalog version the statement was planned against; the FSM
	// rejects the command with 40001 if the catalog has moved on since.
	ExpectCatalogVersion uint64
	CreateSchema         *CreateSchema  `json:",omitempty"`
	DropSchema           *DropSchema    `json:",omitempty"`
	CreateTable          *CreateTable   `json:",omitempty"`
	DropTable            *DropTable     `json:",omitempty"`
	AlterTable           *AlterTable    `json:",omitempty"`
	TruncateTable        *TruncateTable `json:",omitempty"`
	SetSystem            *SetSystem     `json:",omitempty"`
	SetPaused            *SetPaused     `json:",omitempty"`
	ReplaceView          *ReplaceView   `json:",omitempty"`
}

// ReplaceView is CREATE OR REPLACE MATERIALIZED VIEW of an existing view: Desc (whose ID is
// the view's) brings the new query, plan and columns. What state the new plan keeps is decided
// by the maintainer when it applies the command (views.PlanStart).
type ReplaceView struct {
	Desc *TableDesc
	// Reuse says the planner found the old view's state complete (not backfilling), so its
	// operators may be kept; the plan's node IDs were chosen accordingly (stream.Renumber).
	Reuse bool
}

// SetPaused pauses (or resumes) the ingestion of connector-fed relation ID, or the
// maintenance of materialized view ID.
type SetPaused struct {
	ID     uint32
	Paused bool `json:",omitempty"`
}

// SetSystem is ALTER SYSTEM SET name = value (or, with Reset, ALTER SYSTEM RESET name): the
// value was validated by the server that proposed it, and every replica stores it as is.
type SetSystem struct {
	Name  string
	Value string `json:",omitempty"`
	Reset bool   `json:",omitempty"`
}

// CreateSchema creates a schema; the FSM assigns its ID.
type CreateSchema struct {
	Name        string
	IfNotExists bool
}

// DropSchema drops a schema; with Cascade its tables go too, otherwise it must be empty.
type DropSchema struct {
	ID      uint32
	Cascade bool
}

// CreateTable creates a table. Desc.ID, column IDs, Version and NextColumnID are assigned by
// the FSM; when Desc.PrimaryKey is empty the FSM appends the hidden RowIDColumnName column as key.
type CreateTable struct {
	Desc        *TableDesc
	IfNotExists bool
}

// DropTable drops a relation and its rows; with Cascade the relations that depend on it go
// too, otherwise having any is an error (2BP01).
type DropTable struct {
	ID      uint32
	Cascade bool `json:",omitempty"`
}

// AlterTable replaces a table's descriptor with Desc (the complete new descriptor, same ID);
// the FSM bumps Version. New columns must carry IDs >= the old NextColumnID.
type AlterTable struct{ Desc *TableDesc }

// TruncateTable deletes every row of a table.
type TruncateTable struct{ ID uint32 }

// Write changes rows of one or more tables, atomically.
type Write struct {
	Tables []TableWrite
}

// TableWrite is the change to one table. Records hold every column of the table in Columns
// order; either may be nil. Deletes are full old rows, which must match the stored rows exactly.
type TableWrite struct {
	TableID      uint32
	TableVersion uint64
	Deletes      arrow.Record
	Inserts      arrow.Record
	// RetryOnConflict marks inserts made by INSERT ... ON CONFLICT: one that finds its key
	// taken by a concurrent write is a serialization failure (the statement, run again, takes
	// the ON CONFLICT branch), not a unique violation.
	RetryOnConflict bool
}

// ReserveIDs hands out Count consecutive row ids.
type ReserveIDs struct{ Count int64 }

// Release releases the records a command holds.
func (c *Command) Release() {
	if c == nil || c.Write == nil {
		return
	}
	for _, tw := range c.Write.Tables {
		if tw.Deletes != nil {
			tw.Deletes.Release()
		}
		if tw.Inserts != nil {
			tw.Inserts.Release()
		}
	}
}

const (
	kindDDL        byte = 1
	kindWrite      byte = 2
	kindReserveIDs byte = 3
	kindStream     byte = 4
	kindSavepoint  byte = 5
)

// ddlWire is the JSON form of a DDL (table descriptors in their wire form).
type ddlWire struct {
	ExpectCatalogVersion uint64
	CreateSchema         *CreateSchema  `json:",omitempty"`
	DropSchema           *DropSchema    `json:",omitempty"`
	CreateTable          *tableWire     `json:",omitempty"`
	IfNotExists          bool           `json:",omitempty"`
	DropTable            *DropTable     `json:",omitempty"`
	AlterTable           *tableWire     `json:",omitempty"`
	TruncateTable        *TruncateTable `json:",omitempty"`
	SetSystem            *SetSystem     `json:",omitempty"`
	SetPaused            *SetPaused     `json:",omitempty"`
	ReplaceView          *tableWire     `json:",omitempty"`
	Reuse                bool           `json:",omitempty"`
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// EncodeCommand serializes c: the format version, a CRC-32C of the rest, the time, a kind
// byte, then the body (JSON for DDL; table ids, versions and Arrow IPC streams for writes).
// The checksum keeps a corrupt entry away from the Arrow IPC reader, which trusts the
// sizes it reads.
func EncodeCommand(c *Command) ([]byte, error) {
	b, err := encodeCommandBody(c)
	if err != nil {
		return nil, err
	}
	binary.LittleEndian.PutUint32(b[1:5], crc32.Checksum(b[5:], castagnoli))
	return b, nil
}

func encodeCommandBody(c *Command) ([]byte, error) {
	b := []byte{CommandFormatVersion, 0, 0, 0, 0}
	b = binary.AppendVarint(b, c.Time)
	switch {
	case c.DDL != nil:
		d := c.DDL
		w := ddlWire{ExpectCatalogVersion: d.ExpectCatalogVersion, CreateSchema: d.CreateSchema,
			DropSchema: d.DropSchema, DropTable: d.DropTable, TruncateTable: d.TruncateTable, SetSystem: d.SetSystem,
			SetPaused: d.SetPaused}
		if d.CreateTable != nil {
			w.CreateTable = tableToWire(d.CreateTable.Desc)
			w.IfNotExists = d.CreateTable.IfNotExists
		}
		if d.AlterTable != nil {
			w.AlterTable = tableToWire(d.AlterTable.Desc)
		}
		if d.ReplaceView != nil {
			w.ReplaceView, w.Reuse = tableToWire(d.ReplaceView.Desc), d.ReplaceView.Reuse
		}
		js, err := json.Marshal(&w)
		if err != nil {
			return nil, fmt.Errorf("encode DDL: %w", err)
		}
		b = append(b, kindDDL)
		b = append(b, js...)
	case c.Write != nil:
		b = append(b, kindWrite)
		b = binary.AppendUvarint(b, uint64(len(c.Write.Tables)))
		for _, tw := range c.Write.Tables {
			b = binary.AppendUvarint(b, uint64(tw.TableID))
			b = binary.AppendUvarint(b, tw.TableVersion)
			var err error
			if b, err = appendRecord(b, tw.Deletes); err != nil {
				return nil, fmt.Errorf("encode deletes of table %d: %w", tw.TableID, err)
			}
			if b, err = appendRecord(b, tw.Inserts); err != nil {
				return nil, fmt.Errorf("encode inserts of table %d: %w", tw.TableID, err)
			}
		}
		// Flags follow the tables, only when one is set, so commands without them keep the
		// earlier encoding (the log may hold either): the positions of the RetryOnConflict tables.
		var retry []uint64
		for i, tw := range c.Write.Tables {
			if tw.RetryOnConflict {
				retry = append(retry, uint64(i))
			}
		}
		if len(retry) > 0 {
			b = binary.AppendUvarint(b, uint64(len(retry)))
			for _, i := range retry {
				b = binary.AppendUvarint(b, i)
			}
		}
	case c.ReserveIDs != nil:
		b = append(b, kindReserveIDs)
		b = binary.AppendVarint(b, c.ReserveIDs.Count)
	case c.Stream != nil:
		js, err := json.Marshal(c.Stream)
		if err != nil {
			return nil, fmt.Errorf("encode stream command: %w", err)
		}
		b = append(b, kindStream)
		b = append(b, js...)
	case c.Savepoint != nil:
		js, err := json.Marshal(c.Savepoint)
		if err != nil {
			return nil, fmt.Errorf("encode savepoint command: %w", err)
		}
		b = append(b, kindSavepoint)
		b = append(b, js...)
	default:
		return nil, errors.New("storage: empty command")
	}
	return b, nil
}

// appendRecord appends uvarint(len) and an Arrow IPC stream of rec; length 0 means nil.
func appendRecord(b []byte, rec arrow.Record) ([]byte, error) {
	if rec == nil {
		return binary.AppendUvarint(b, 0), nil
	}
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(rec.Schema()))
	if err := w.Write(rec); err != nil {
		return nil, fmt.Errorf("write IPC: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("close IPC: %w", err)
	}
	b = binary.AppendUvarint(b, uint64(buf.Len()))
	return append(b, buf.Bytes()...), nil
}

var errShortCommand = errors.New("storage: truncated command")

// DecodeCommand parses what EncodeCommand wrote. The caller releases the command's records.
func DecodeCommand(b []byte) (c *Command, err error) {
	if len(b) < 5 {
		return nil, errShortCommand
	}
	if b[0] != CommandFormatVersion {
		return nil, fmt.Errorf("storage: unknown command format version %d", b[0])
	}
	if binary.LittleEndian.Uint32(b[1:5]) != crc32.Checksum(b[5:], castagnoli) {
		return nil, errors.New("storage: command checksum mismatch")
	}
	defer func() {
		// The Arrow IPC reader may panic on input it does not expect; a command that passed
		// the checksum but still does not parse is rejected, not fatal.
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("storage: malformed command: %v", r)
		}
	}()
	return decodeCommandBody(b[5:])
}

func decodeCommandBody(b []byte) (*Command, error) {
	c := &Command{}
	t, n := binary.Varint(b)
	if n <= 0 || len(b) <= n {
		return nil, errShortCommand
	}
	c.Time = t
	kind := b[n]
	b = b[n+1:]
	switch kind {
	case kindDDL:
		var w ddlWire
		if err := json.Unmarshal(b, &w); err != nil {
			return nil, fmt.Errorf("decode DDL: %w", err)
		}
		d := &DDL{ExpectCatalogVersion: w.ExpectCatalogVersion, CreateSchema: w.CreateSchema,
			DropSchema: w.DropSchema, DropTable: w.DropTable, TruncateTable: w.TruncateTable, SetSystem: w.SetSystem,
			SetPaused: w.SetPaused}
		if w.CreateTable != nil {
			td, err := tableFromWire(w.CreateTable)
			if err != nil {
				return nil, fmt.Errorf("decode CREATE TABLE: %w", err)
			}
			d.CreateTable = &CreateTable{Desc: td, IfNotExists: w.IfNotExists}
		}
		if w.AlterTable != nil {
			td, err := tableFromWire(w.AlterTable)
			if err != nil {
				return nil, fmt.Errorf("decode ALTER TABLE: %w", err)
			}
			d.AlterTable = &AlterTable{Desc: td}
		}
		if w.ReplaceView != nil {
			td, err := tableFromWire(w.ReplaceView)
			if err != nil {
				return nil, fmt.Errorf("decode CREATE OR REPLACE MATERIALIZED VIEW: %w", err)
			}
			d.ReplaceView = &ReplaceView{Desc: td, Reuse: w.Reuse}
		}
		c.DDL = d
	case kindWrite:
		cnt, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, errShortCommand
		}
		b = b[n:]
		c.Write = &Write{}
		for range cnt {
			var tw TableWrite
			id, n := binary.Uvarint(b)
			if n <= 0 {
				c.Release()
				return nil, errShortCommand
			}
			b = b[n:]
			ver, n := binary.Uvarint(b)
			if n <= 0 {
				c.Release()
				return nil, errShortCommand
			}
			b = b[n:]
			tw.TableID, tw.TableVersion = uint32(id), ver
			var err error
			if tw.Deletes, b, err = readRecord(b); err != nil {
				c.Release()
				return nil, fmt.Errorf("decode deletes of table %d: %w", id, err)
			}
			if tw.Inserts, b, err = readRecord(b); err != nil {
				if tw.Deletes != nil {
					tw.Deletes.Release()
				}
				c.Release()
				return nil, fmt.Errorf("decode inserts of table %d: %w", id, err)
			}
			c.Write.Tables = append(c.Write.Tables, tw)
		}
		if len(b) > 0 {
			nr, n := binary.Uvarint(b)
			if n <= 0 {
				c.Release()
				return nil, errShortCommand
			}
			b = b[n:]
			for range nr {
				i, n := binary.Uvarint(b)
				if n <= 0 || i >= uint64(len(c.Write.Tables)) {
					c.Release()
					return nil, errors.New("storage: malformed write flags")
				}
				b = b[n:]
				c.Write.Tables[i].RetryOnConflict = true
			}
		}
	case kindReserveIDs:
		cnt, n := binary.Varint(b)
		if n <= 0 {
			return nil, errShortCommand
		}
		c.ReserveIDs = &ReserveIDs{Count: cnt}
	case kindStream:
		c.Stream = &StreamCmd{}
		if err := json.Unmarshal(b, c.Stream); err != nil {
			return nil, fmt.Errorf("decode stream command: %w", err)
		}
	case kindSavepoint:
		c.Savepoint = &SavepointCmd{}
		if err := json.Unmarshal(b, c.Savepoint); err != nil {
			return nil, fmt.Errorf("decode savepoint command: %w", err)
		}
	default:
		return nil, fmt.Errorf("storage: unknown command kind %d", kind)
	}
	return c, nil
}

// readRecord reads what appendRecord wrote. A stream of several batches is concatenated.
func readRecord(b []byte) (arrow.Record, []byte, error) {
	l, n := binary.Uvarint(b)
	if n <= 0 || uint64(len(b)-n) < l {
		return nil, nil, errShortCommand
	}
	if l == 0 {
		return nil, b[n:], nil
	}
	body := b[n : n+int(l)]
	rest := b[n+int(l):]
	r, err := ipc.NewReader(bytes.NewReader(body), ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return nil, nil, fmt.Errorf("open IPC: %w", err)
	}
	defer r.Release()
	var recs []arrow.Record
	for r.Next() {
		rec := r.Record()
		rec.Retain()
		recs = append(recs, rec)
	}
	if err := r.Err(); err != nil {
		for _, rec := range recs {
			rec.Release()
		}
		return nil, nil, fmt.Errorf("read IPC: %w", err)
	}
	switch len(recs) {
	case 0:
		return nil, nil, errors.New("storage: empty IPC stream")
	case 1:
		return recs[0], rest, nil
	}
	for _, rec := range recs {
		rec.Release()
	}
	return nil, nil, errors.New("storage: IPC stream with several batches")
}

// AppendRecord appends rec (nil allowed) to b in the encoding commands use for row batches.
func AppendRecord(b []byte, rec arrow.Record) ([]byte, error) { return appendRecord(b, rec) }

// ReadRecord reads what AppendRecord wrote and returns the rest of b.
func ReadRecord(b []byte) (arrow.Record, []byte, error) { return readRecord(b) }
