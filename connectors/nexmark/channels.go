package nexmark

import (
	"math/bits"
	"strconv"
	"sync"

	"github.com/eddydb/eddy/connectors/internal/rng"
)

// numChannels is how many ordinary (not hot) channels bids come through.
const numChannels = 10_000

// hotChannelNames are the channels that 1 - 1/HotChannelRatio of bids use.
var hotChannelNames = [4]string{"Google", "Facebook", "Baidu", "Apple"}

// channelSet holds every channel name and URL as bytes ready to append.
type channelSet struct {
	hotName, hotURL [len(hotChannelNames)][]byte
	name, url       [numChannels][]byte
}

// Stream keys of the channel URLs. They are fixed, not seeded: a channel keeps its URL in every
// source, as in the reference generators where the table is built once per process. (The
// reference draws it from an unseeded random source; eddy must not, N1.)
const (
	hotURLKey  = 0x6e65786d61726b01
	coldURLKey = 0x6e65786d61726b02
)

// channels returns the channel table, built on first use (about 0.7 MB).
var channels = sync.OnceValue(func() *channelSet {
	cs := new(channelSet)
	for i, n := range hotChannelNames {
		r := rng.New(rng.Key(hotURLKey, uint64(i)))
		cs.hotName[i] = []byte(n)
		cs.hotURL[i] = appendBaseURL(nil, &r)
	}
	for c := range numChannels {
		r := rng.New(rng.Key(coldURLKey, uint64(c)))
		cs.name[c] = strconv.AppendInt([]byte("channel-"), int64(c), 10)
		u := appendBaseURL(nil, &r)
		if r.Intn(10) > 0 { // most ordinary channels tag their URL with an id
			id := int64(int32(bits.Reverse32(uint32(c))))
			if id < 0 {
				id = -id
			}
			u = strconv.AppendInt(append(u, "&channel_id="...), id, 10)
		}
		cs.url[c] = u
	}
	return cs
})

// appendBaseURL appends an item URL with three random path segments; Nexmark queries take it
// apart with split_part(url, '/', 4..6).
func appendBaseURL(buf []byte, r *rng.Stream) []byte {
	buf = append(buf, "https://www.nexmark.com/"...)
	buf = appendText(buf, r, 5, '_')
	buf = append(buf, '/')
	buf = appendText(buf, r, 5, '_')
	buf = append(buf, '/')
	buf = appendText(buf, r, 5, '_')
	return append(buf, "/item.htm?query=1"...)
}
