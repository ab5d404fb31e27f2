package stream

import (
	"fmt"

	"github.com/cockroachdb/pebble"
)

// StateFlusher is what an epoch's end needs of an operator's PebbleStates: Flush into the
// checkpoint batch, and the sticky error that forbids the checkpoint; and, when the dataflow is
// dropped, Release to give its cache's memory back to the shared CacheBudget.
type StateFlusher interface {
	Flush(b *pebble.Batch) error
	Err() error
	Release()
}

// AttachPebbleState points op's states at PebbleStates over r, under StatePrefix(viewID, opID,
// part), and returns them for the epoch's Flush; a stateless operator gets none. Call it on a
// fresh operator, before Init and the first Push: states already in r are picked up, so a
// view reopened over its checkpoint continues from it, emitting exactly the changes a view
// that never stopped would. Every operator keeps all it needs in State for this: a global
// HashAgg's Init finds its stored group and emits nothing (the view holds its row already),
// and TopN stores the window it last emitted beside its live rows (GroupTopN keeps each
// partition's last window in the partition's entry).
//
// Parts: a join's left side is 0 and its right 1 (also a cross join's, whose entries are
// rows, and a temporal join's right side, 1); TopN's live rows are 0 and its last window 1;
// every other operator has one state, part 0 (GroupTopN's is keyed by partition,
// EmitOnWindowClose's holds the rows waiting for their window). An operator that frees state
// by watermark (Cleanup in its spec) has its watermark index beside: part 1 for HashAgg and
// GroupTopN, part 2 for Join; a Join with interval bounds (JoinSpec.Interval) has the
// time-ordered index of each side that frees rows as part 3 (left) and 4 (right), and the
// bounds below which they were freed as part 5.
func AttachPebbleState(op Operator, r pebble.Reader, viewID, opID uint32, opts PebbleStateOptions) ([]StateFlusher, error) {
	prefix := func(part uint8) []byte { return StatePrefix(viewID, opID, part) }
	index := func(part uint8, fs []StateFlusher, set func(State[struct{}])) ([]StateFlusher, error) {
		s, err := NewPebbleState[struct{}](r, prefix(part), emptyCodec{}, opts)
		if err != nil {
			return nil, err
		}
		set(s)
		return append(fs, s), nil
	}
	switch o := op.(type) {
	case *HashAgg:
		s, err := NewPebbleState[*group](r, prefix(0), groupCodec{}, opts)
		if err != nil {
			return nil, err
		}
		o.state = s
		if o.cleanup != nil {
			return index(1, []StateFlusher{s}, func(x State[struct{}]) { o.index = x })
		}
		return []StateFlusher{s}, nil
	case *Join:
		var fs []StateFlusher
		for side := range o.state {
			s, err := NewPebbleState[*bucket](r, prefix(uint8(side)), bucketCodec{}, opts)
			if err != nil {
				return nil, err
			}
			o.state[side] = s
			fs = append(fs, s)
		}
		var err error
		if o.cleanup != nil {
			if fs, err = index(2, fs, func(x State[struct{}]) { o.index = x }); err != nil {
				return nil, err
			}
		}
		for side := range o.ivIndex {
			if o.ivIndex[side] != nil {
				if fs, err = index(uint8(3+side), fs, func(x State[struct{}]) { o.ivIndex[side] = x }); err != nil {
					return nil, err
				}
			}
		}
		if o.iv != nil {
			s, err := NewPebbleState[int64](r, prefix(5), int64Codec{}, opts)
			if err != nil {
				return nil, err
			}
			o.ivMeta = s
			o.loadFreed()
			fs = append(fs, s)
		}
		return fs, nil
	case *CrossJoin:
		var fs []StateFlusher
		for side := range o.state {
			s, err := NewPebbleState[*crow](r, prefix(uint8(side)), crowCodec{}, opts)
			if err != nil {
				return nil, err
			}
			o.state[side] = s
			fs = append(fs, s)
		}
		return fs, nil
	case *TemporalJoin:
		s, err := NewPebbleState[*bucket](r, prefix(1), bucketCodec{}, opts)
		if err != nil {
			return nil, err
		}
		o.right = s
		return []StateFlusher{s}, nil
	case *EmitOnWindowClose:
		s, err := NewPebbleState[*crow](r, prefix(0), crowCodec{}, opts)
		if err != nil {
			return nil, err
		}
		o.buf = s
		return []StateFlusher{s}, nil
	case *Distinct:
		s, err := NewPebbleState[*drow](r, prefix(0), distinctCodec{}, opts)
		if err != nil {
			return nil, err
		}
		o.state = s
		return []StateFlusher{s}, nil
	case *TopN:
		rows, err := NewPebbleState[*trow](r, prefix(0), topNCodec{}, opts)
		if err != nil {
			return nil, err
		}
		shown, err := NewPebbleState[*shownRow](r, prefix(1), shownCodec{}, opts)
		if err != nil {
			return nil, err
		}
		o.rows, o.shown = rows, shown
		return []StateFlusher{rows, shown}, nil
	case *GroupTopN:
		s, err := NewPebbleState[*gpart](r, prefix(0), gpartCodec{}, opts)
		if err != nil {
			return nil, err
		}
		o.state = s
		if o.cleanup != nil {
			return index(1, []StateFlusher{s}, func(x State[struct{}]) { o.index = x })
		}
		return []StateFlusher{s}, nil
	case *Filter, *Project, *Hop, UnionAll, *UnionAll:
		return nil, nil
	}
	return nil, fmt.Errorf("stream: no Pebble state for operator %T", op)
}
