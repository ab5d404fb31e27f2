package pgwire

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// copyBinarySignature opens every binary COPY stream.
var copyBinarySignature = []byte("PGCOPY\n\xff\r\n\x00")

// copyRowDecoder is the text/CSV copyDecoder or the binary one.
type copyRowDecoder interface {
	feed(data []byte, emit func([]any) error) error
	finish(emit func([]any) error) error
}

// copyBinaryDecoder reads COPY's binary format: the signature, flags and header extension, then
// tuples of (int16 field count, then per field an int32 length, -1 for NULL, and the value in
// the type's binary send format), ending with a field count of -1.
type copyBinaryDecoder struct {
	cols   []Column
	fc     *types.FormatContext
	table  string
	buf    []byte
	header bool // the header has been read
	ended  bool
	tuple  int64 // tuples decoded so far
}

// errorf wraps pe with the context of tuple number line (1-based).
func (d *copyBinaryDecoder) errorf(line int64, pe *pgerror.Error, where string) error {
	ctx := "COPY " + d.table
	if d.table == "" {
		ctx = "COPY"
	}
	ctx += fmt.Sprintf(", line %d", line)
	if where != "" {
		ctx += ", " + where
	}
	return &contextError{pe: pe, where: ctx}
}

func (d *copyBinaryDecoder) feed(data []byte, emit func([]any) error) error {
	if d.ended {
		return nil
	}
	d.buf = append(d.buf, data...)
	off := 0
	be := binary.BigEndian
	if !d.header {
		if len(d.buf) < len(copyBinarySignature)+8 {
			return nil
		}
		if !bytes.Equal(d.buf[:len(copyBinarySignature)], copyBinarySignature) {
			return pgerror.New(pgerror.BadCopyFileFormat, "COPY file signature not recognized")
		}
		ext := int(be.Uint32(d.buf[len(copyBinarySignature)+4:]))
		if ext < 0 || ext > 1<<20 {
			return pgerror.New(pgerror.BadCopyFileFormat, "invalid COPY file header (wrong length)")
		}
		if len(d.buf) < len(copyBinarySignature)+8+ext {
			return nil
		}
		off = len(copyBinarySignature) + 8 + ext
		d.header = true
	}
	for !d.ended {
		row, n, err := d.nextTuple(d.buf[off:])
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		off += n
		if row != nil {
			if err := emit(row); err != nil {
				return err
			}
		}
	}
	d.buf = d.buf[:copy(d.buf, d.buf[off:])]
	return nil
}

// nextTuple decodes one tuple from b; n is 0 when b does not hold a whole one yet.
func (d *copyBinaryDecoder) nextTuple(b []byte) (row []any, n int, err error) {
	be := binary.BigEndian
	if len(b) < 2 {
		return nil, 0, nil
	}
	count := int(int16(be.Uint16(b)))
	if count == -1 {
		d.ended = true
		return nil, 2, nil
	}
	line := d.tuple + 1
	if count != len(d.cols) {
		return nil, 0, d.errorf(line, pgerror.Newf(pgerror.BadCopyFileFormat, "row field count is %d, expected %d", count, len(d.cols)), "")
	}
	off := 2
	lens := make([]int, count)
	starts := make([]int, count)
	for i := range count {
		if len(b) < off+4 {
			return nil, 0, nil
		}
		l := int(int32(be.Uint32(b[off:])))
		off += 4
		if l < -1 {
			return nil, 0, pgerror.New(pgerror.BadCopyFileFormat, "invalid field size")
		}
		lens[i], starts[i] = l, off
		if l > 0 {
			if len(b) < off+l {
				return nil, 0, nil
			}
			off += l
		}
	}
	d.tuple++
	row = make([]any, count)
	for i := range count {
		if lens[i] < 0 {
			continue
		}
		v, err := decodeParam(d.cols[i].Type, 1, b[starts[i]:starts[i]+lens[i]], i+1, d.fc)
		if err != nil {
			pe := pgerror.As(err)
			if pe == nil || pe.Code == pgerror.InvalidBinaryRepresentation {
				pe = pgerror.New(pgerror.InvalidBinaryRepresentation, "incorrect binary data format")
			}
			return nil, 0, d.errorf(line, pe, "column "+d.cols[i].Name)
		}
		row[i] = v
	}
	return row, off, nil
}

func (d *copyBinaryDecoder) finish(emit func([]any) error) error {
	if !d.ended && (len(d.buf) > 0 || !d.header) {
		return pgerror.New(pgerror.BadCopyFileFormat, "unexpected EOF in COPY data")
	}
	return nil
}
