package stream

import "github.com/apache/arrow-go/v18/arrow"

// Integer min and max keep their multiset in a typed map (value -> live count) beside a cached
// extreme, avoiding a boxed datum and a key encoding per row; other types use cell.mm.

// updateIntMinMax folds the rows of an integer column into cell a.
func updateIntMinMax(a int, col arrow.Array, at func(int) int64, keepRow func(int) bool, gs []*group, w []int64, max bool) error {
	for i, g := range gs {
		if !col.IsValid(i) || !keepRow(i) {
			continue
		}
		c := &g.cells[a]
		v := at(i)
		if c.mi == nil {
			c.mi = map[int64]int64{}
		}
		n := c.mi[v] + w[i]
		switch {
		case n < 0:
			return errNegative
		case n == 0:
			delete(c.mi, v)
			if c.hasBest && c.bestI == v {
				c.hasBest = false
			}
		default:
			c.mi[v] = n
			if w[i] > 0 && c.hasBest && (max && v > c.bestI || !max && v < c.bestI) {
				c.bestI = v
			}
		}
	}
	return nil
}

// intExtreme returns the smallest (or largest) live integer, nil if none; it searches the map
// only after the cached extreme left.
func (c *cell) intExtreme(max bool) any {
	if len(c.mi) == 0 {
		return nil
	}
	if !c.hasBest {
		first := true
		for v := range c.mi {
			if first || max && v > c.bestI || !max && v < c.bestI {
				c.bestI, first = v, false
			}
		}
		c.hasBest = true
	}
	return c.bestI
}
