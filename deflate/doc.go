// Package deflate implements the permessage-deflate WebSocket extension
// (RFC 7692) with compress/flate: negotiation of its parameters during the
// opening handshake, and the per-connection compressor and decompressor the
// connection uses for messages that have the RSV1 bit set.
//
// # Negotiation
//
// A server calls [Config.Negotiate] with the client's offers; a client sends
// [Config.Offers] and checks the server's answer with [Config.Accept]. Both
// yield [Params], the agreed parameters, from which [Config.NewCompressor]
// and [NewDecompressor] build the data path for the endpoint's role: a server
// compresses under the server_* parameters and decompresses under the
// client_* ones, a client the other way round.
//
// compress/flate cannot bound the LZ77 window of its compressor below 32 KiB.
// When the peer limits our window (server_max_window_bits for a server,
// client_max_window_bits for a client) to fewer than 15 bits, the compressor
// therefore uses flate.HuffmanOnly, which emits no back-references and so is
// valid for any window, 8 bits included. Such offers are accepted, not
// declined, at the price of a lower compression ratio.
//
// # Memory
//
// A flate.Writer costs about 1.2 MiB at flate.BestSpeed and about 790 KiB at
// the other levels (715 KiB for HuffmanOnly); a flate reader about 40 KiB.
// Both are pooled. A [Compressor] holds a writer only while a message is in
// flight, except with context takeover on its side, where the writer (and so
// its memory) stays with the connection until [Compressor.Release] or
// [Compressor.Close]. Under context takeover the compressor also keeps a copy
// of the last 32 KiB of plaintext it compressed; after Release that copy is
// all it keeps, and the next message primes a pooled writer with it (about
// the CPU cost of compressing 32 KiB), so an idle connection costs 32 KiB
// rather than a writer. Set [Config.NoContextTakeover] to avoid both costs,
// at the price of the compression ratio. A [Decompressor] holds its
// flate reader only while a message is in flight; with context takeover it
// keeps between messages the last 2^window_bits bytes of output (plus a
// quarter of that as slack, 40 KiB for 15 bits) as the preset dictionary of
// the next message.
package deflate
