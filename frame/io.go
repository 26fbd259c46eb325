package frame

import (
	"bufio"
	"errors"
	"io"
)

// ReadHeader reads and decodes one header from r, consuming exactly its
// bytes. It returns io.EOF if r ends before the first byte and
// io.ErrUnexpectedEOF if r ends inside the header. Faults of the header
// itself are reported as by ParseHeader.
//
// When r is a *bufio.Reader, ReadHeader peeks at its buffer and does not
// allocate; with another reader it allocates a small scratch buffer.
func ReadHeader(r io.Reader) (Header, error) {
	if br, ok := r.(*bufio.Reader); ok {
		return readBuffered(br)
	}
	var buf [MaxHeaderSize]byte
	if _, err := io.ReadFull(r, buf[:2]); err != nil {
		return Header{}, err // io.EOF or io.ErrUnexpectedEOF as appropriate
	}
	h, n, err := ParseHeader(buf[:2])
	if err != ErrShortHeader {
		return h, err
	}
	if _, err := io.ReadFull(r, buf[2:n]); err != nil {
		return Header{}, noEOF(err)
	}
	h, _, err = ParseHeader(buf[:n])
	return h, err
}

// readBuffered reads a header from br without allocating: it peeks at
// the header and discards it once decoded. A bufio.Reader buffer holds at
// least 16 bytes, so MaxHeaderSize always fits.
func readBuffered(br *bufio.Reader) (Header, error) {
	want := 2
	for {
		b, err := br.Peek(want)
		if len(b) < want {
			if errors.Is(err, io.EOF) && len(b) == 0 && want == 2 {
				return Header{}, io.EOF
			}
			return Header{}, noEOF(err)
		}
		h, n, err := ParseHeader(b)
		if err == ErrShortHeader {
			want = n
			continue
		}
		if err != nil {
			return Header{}, err
		}
		_, _ = br.Discard(n) // cannot fail: n bytes are buffered
		return h, nil
	}
}

// noEOF turns io.EOF into io.ErrUnexpectedEOF: the stream ended inside a header.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// WriteHeader encodes h and writes it to w in one Write call. When w is a
// *bufio.Writer the header is built in its free buffer space, without
// allocation.
func WriteHeader(w io.Writer, h Header) error {
	if bw, ok := w.(*bufio.Writer); ok && bw.Available() >= MaxHeaderSize {
		_, err := bw.Write(AppendHeader(bw.AvailableBuffer(), h))
		return err
	}
	var buf [MaxHeaderSize]byte
	n := PutHeader(buf[:], h)
	_, err := w.Write(buf[:n])
	return err
}
