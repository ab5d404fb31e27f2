package raftlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Pebble replays its write-ahead log at open and treats the first bad record of the newest WAL
// as the end of the log: right for a write a crash cut short, but a damaged byte in the middle
// of the file would then silently drop every acknowledged entry after it. checkLogTail reads
// the newest WAL of the log store before Pebble does and tells the two apart.

// walBlockSize is the block size of Pebble's WAL format: a record's chunks never straddle one,
// so reading can restart at any block boundary.
const walBlockSize = 32 << 10

// logTailReport is what checkLogTail found in the newest WAL.
type logTailReport struct {
	File string // the newest WAL, "" when there is none
	Size int64
	// Torn is set when the file ends with a record that is cut short or unreadable and no
	// valid record follows it: what a crash during a write leaves. Offset is where it starts.
	Torn   bool
	Offset int64
	Err    error // the reader's complaint about the torn record
}

// LogDamagedError reports a damaged log file that eddy refuses to open: valid entries follow
// the damage, so replaying up to it would lose acknowledged writes.
type LogDamagedError struct {
	File   string
	Offset int64
	Err    error
}

func (e *LogDamagedError) Error() string {
	return fmt.Sprintf("raftlog: the log file %s has a damaged record at byte %d (%v) and valid entries follow it: "+
		"opening it would silently drop acknowledged writes. Restore the file from a backup; to give up the entries "+
		"from that record on, truncate the file there (truncate -s %d %s): eddy then starts if the log still reaches "+
		"its newest checkpoint", e.File, e.Offset, e.Err, e.Offset, e.File)
}

func (e *LogDamagedError) Unwrap() error { return e.Err }

// checkLogTail inspects the newest WAL in dir (the live one when the process stopped). It walks
// the file chunk by chunk (Pebble's record format: 32 KiB blocks of checksummed chunks); at the
// first chunk that does not verify it looks for any valid chunk further on. None: the file
// ends with a write cut short (Torn). Some: the file is damaged (LogDamagedError).
func checkLogTail(dir string) (logTailReport, error) {
	var rep logTailReport
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return rep, nil
		}
		return rep, fmt.Errorf("raftlog: read %s: %w", dir, err)
	}
	newest := int64(-1)
	for _, e := range entries {
		num, ok := strings.CutSuffix(e.Name(), ".log")
		if !ok || !e.Type().IsRegular() {
			continue
		}
		if n, err := strconv.ParseInt(num, 10, 64); err == nil && n > newest {
			newest, rep.File = n, filepath.Join(dir, e.Name())
		}
	}
	if newest < 0 {
		return rep, nil
	}
	f, err := os.Open(rep.File)
	if err != nil {
		return rep, fmt.Errorf("raftlog: open %s: %w", rep.File, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return rep, fmt.Errorf("raftlog: stat %s: %w", rep.File, err)
	}
	rep.Size = st.Size()
	w := walWalker{f: f, size: rep.Size, logNum: uint32(newest)}
	bad, err := w.firstBadChunk()
	if err != nil || bad < 0 {
		return rep, err
	}
	ours, stale, err := w.validChunkAfter(bad)
	switch {
	case err != nil:
		return rep, err
	case ours:
		return rep, &LogDamagedError{File: rep.File, Offset: bad, Err: errors.New("checksum mismatch")}
	case stale:
		// Pebble reuses old WAL files: where this use of the file ends, the rest of an older
		// record follows, and chunks of the file's previous use after it. A clean end.
		return rep, nil
	}
	rep.Torn, rep.Offset, rep.Err = true, bad, errors.New("incomplete or unreadable chunk")
	return rep, nil
}

// walWalker reads one WAL file of log number logNum.
type walWalker struct {
	f      *os.File
	size   int64
	logNum uint32
	buf    [walBlockSize]byte
}

// Pebble's chunk header: checksum (4 bytes), payload length (2), type (1), and in the
// recyclable format the low 32 bits of the log number (4).
const (
	chunkHeader           = 7
	recyclableChunkHeader = 11
)

// block reads the block starting at off.
func (w *walWalker) block(off int64) ([]byte, error) {
	n, err := w.f.ReadAt(w.buf[:min(walBlockSize, w.size-off)], off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("raftlog: read %s: %w", w.f.Name(), err)
	}
	return w.buf[:n], nil
}

// chunkAt returns the length (header included) of a chunk of this log that verifies at p in
// the block b, 0 when none does, and -1 for a chunk header of another log number (the end of
// this use of the file). scanning is set when p is any byte rather than a chunk boundary.
func (w *walWalker) chunkAt(b []byte, p int, scanning bool) int {
	if p+chunkHeader > len(b) {
		return 0
	}
	typ := b[p+6]
	hs := chunkHeader
	switch {
	case typ >= 1 && typ <= 4:
	case typ >= 5 && typ <= 8:
		hs = recyclableChunkHeader
		if p+hs > len(b) {
			return 0
		}
		if binary.LittleEndian.Uint32(b[p+7:p+11]) != w.logNum {
			// Where a record may start, Pebble reads another log number as the end: it is how a
			// clean close marks the end (an empty chunk of the next number), and where a
			// recycled file's new use ends. Scanning at any byte, only a verified one counts.
			if !scanning || w.verifies(b, p, hs) {
				return -1
			}
			return 0
		}
	default:
		return 0
	}
	if !w.verifies(b, p, hs) {
		return 0
	}
	return hs + int(binary.LittleEndian.Uint16(b[p+4:p+6]))
}

// verifies checks a chunk's checksum: Pebble's masked CRC-32C over the type byte, the rest of
// the header and the payload.
func (w *walWalker) verifies(b []byte, p, hs int) bool {
	end := p + hs + int(binary.LittleEndian.Uint16(b[p+4:p+6]))
	if end > len(b) {
		return false
	}
	c := crc32.Checksum(b[p+6:end], walCRCTable)
	return (c>>15|c<<17)+0xa282ead8 == binary.LittleEndian.Uint32(b[p:p+4])
}

var walCRCTable = crc32.MakeTable(crc32.Castagnoli)

// firstBadChunk walks the chunks from the start and returns the offset of the first one that
// does not verify, or -1 when the file ends cleanly: at its end, in zeros (preallocated space),
// or at a chunk of the file's previous use.
func (w *walWalker) firstBadChunk() (int64, error) {
	for off := int64(0); off < w.size; off += walBlockSize {
		b, err := w.block(off)
		if err != nil {
			return 0, err
		}
		for p := 0; p+chunkHeader <= len(b); {
			if allZero(b[p:p+chunkHeader]) && p+recyclableChunkHeader > len(b) {
				break // the zero padding at the end of a block
			}
			if allZero(b[p : p+chunkHeader]) {
				zero, err := w.zeroFrom(off + int64(p))
				if err != nil || zero {
					return -1, err
				}
				return off + int64(p), nil
			}
			n := w.chunkAt(b, p, false)
			switch {
			case n < 0:
				// The end of this use of the file, unless a damaged header only looks like it:
				// then chunks of this log follow.
				if ours, _, err := w.validChunkAfter(off + int64(p)); err != nil || ours {
					return off + int64(p), err
				}
				return -1, nil
			case n == 0:
				return off + int64(p), nil
			}
			p += n
		}
	}
	return -1, nil
}

// validChunkAfter reports whether a chunk of this log verifies anywhere after bad (ours), and
// whether one of the file's previous use does (stale).
func (w *walWalker) validChunkAfter(bad int64) (ours, stale bool, err error) {
	for off := bad / walBlockSize * walBlockSize; off < w.size; off += walBlockSize {
		b, err := w.block(off)
		if err != nil {
			return false, false, err
		}
		from := 0
		if off < bad {
			from = int(bad-off) + 1
		}
		for p := from; p+chunkHeader <= len(b); p++ {
			switch n := w.chunkAt(b, p, true); {
			case n > 0:
				return true, stale, nil
			case n < 0:
				stale = true
			}
		}
	}
	return false, stale, nil
}

// zeroFrom reports whether the file holds only zero bytes from off on.
func (w *walWalker) zeroFrom(off int64) (bool, error) {
	var buf [walBlockSize]byte
	for off < w.size {
		n, err := w.f.ReadAt(buf[:min(walBlockSize, w.size-off)], off)
		if !allZero(buf[:n]) {
			return false, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return false, fmt.Errorf("raftlog: read %s: %w", w.f.Name(), err)
		}
		if n == 0 {
			break
		}
		off += int64(n)
	}
	return true, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
