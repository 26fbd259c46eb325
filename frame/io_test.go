package frame

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/hybi/ws/closecode"
)

// readers wraps a byte stream in each kind of reader ReadHeader handles.
var readers = map[string]func([]byte) io.Reader{
	"bufio":          func(b []byte) io.Reader { return bufio.NewReader(bytes.NewReader(b)) },
	"bufio one-byte": func(b []byte) io.Reader { return bufio.NewReaderSize(iotest.OneByteReader(bytes.NewReader(b)), 16) },
	"plain":          func(b []byte) io.Reader { return bytes.NewReader(b) },
	"plain one-byte": func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
}

func TestReadHeader(t *testing.T) {
	for name, newReader := range readers {
		t.Run(name, func(t *testing.T) {
			// A stream of all the RFC example frames: read each header,
			// skip its payload, and end cleanly with io.EOF.
			var stream []byte
			for _, ex := range rfcExamples {
				stream = append(stream, ex.wire...)
			}
			r := newReader(stream)
			for _, ex := range rfcExamples {
				h, err := ReadHeader(r)
				if err != nil {
					t.Fatalf("%s: ReadHeader: %v", ex.name, err)
				}
				if h != ex.header {
					t.Fatalf("%s: ReadHeader = %+v, want %+v", ex.name, h, ex.header)
				}
				payload := make([]byte, h.Length)
				if _, err := io.ReadFull(r, payload); err != nil {
					t.Fatalf("%s: reading payload: %v", ex.name, err)
				}
			}
			if _, err := ReadHeader(r); err != io.EOF {
				t.Errorf("ReadHeader at end of stream: %v, want io.EOF", err)
			}
		})
	}
}

func TestReadHeaderTruncated(t *testing.T) {
	full := AppendHeader(nil, Header{Fin: true, Opcode: OpBinary, Masked: true, Key: rfcKey, Length: 70000})
	for name, newReader := range readers {
		for i := 1; i < len(full); i++ {
			if _, err := ReadHeader(newReader(full[:i])); err != io.ErrUnexpectedEOF {
				t.Errorf("%s: ReadHeader of %d/%d bytes: %v, want io.ErrUnexpectedEOF", name, i, len(full), err)
			}
		}
	}
}

func TestReadHeaderInvalid(t *testing.T) {
	in := []byte{0x82, 0x7e, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'}
	for name, newReader := range readers {
		_, err := ReadHeader(newReader(in))
		var ce *closecode.Error
		if !errors.As(err, &ce) || ce.Code != closecode.ProtocolError {
			t.Errorf("%s: ReadHeader(non-minimal) = %v, want ProtocolError", name, err)
		}
	}
}

func TestReadHeaderError(t *testing.T) {
	boom := errors.New("boom")
	for _, wrap := range []func(io.Reader) io.Reader{
		func(r io.Reader) io.Reader { return r },
		func(r io.Reader) io.Reader { return bufio.NewReader(r) },
	} {
		// The error comes before the header, in its middle, and after it.
		for _, prefix := range []string{"", "\x82", "\x82\xfe\x01"} {
			r := wrap(io.MultiReader(strings.NewReader(prefix), iotest.ErrReader(boom)))
			if _, err := ReadHeader(r); !errors.Is(err, boom) {
				t.Errorf("ReadHeader after %q = %v, want %v", prefix, err, boom)
			}
		}
	}
}

func TestReadHeaderBufferedKeepsRest(t *testing.T) {
	// On a *bufio.Reader, ReadHeader consumes exactly the header, and a
	// failed read consumes nothing.
	br := bufio.NewReader(strings.NewReader("\x81\x05Hello"))
	if _, err := ReadHeader(br); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(br)
	if string(rest) != "Hello" {
		t.Errorf("after ReadHeader the reader holds %q, want %q", rest, "Hello")
	}

	br = bufio.NewReader(strings.NewReader("\x82\x7e\x00\x05"))
	if _, err := ReadHeader(br); err == nil {
		t.Fatal("ReadHeader accepted a non-minimal length")
	}
	if br.Buffered() != 4 {
		t.Errorf("after a rejected header %d bytes are buffered, want 4", br.Buffered())
	}
}

func TestReadHeaderAllocs(t *testing.T) {
	frame := AppendHeader(nil, Header{Fin: true, Opcode: OpBinary, Masked: true, Key: rfcKey, Length: 70000})
	src := bytes.NewReader(nil)
	br := bufio.NewReader(src)
	allocs := testing.AllocsPerRun(100, func() {
		src.Reset(frame)
		br.Reset(src)
		if _, err := ReadHeader(br); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ReadHeader from *bufio.Reader: %v allocs per run, want 0", allocs)
	}
}

func TestWriteHeader(t *testing.T) {
	for _, ex := range rfcExamples {
		want := ex.wire[:ex.header.Size()]

		var plain bytes.Buffer
		if err := WriteHeader(&plain, ex.header); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(plain.Bytes(), want) {
			t.Errorf("%s: WriteHeader = % x, want % x", ex.name, plain.Bytes(), want)
		}

		// Into a *bufio.Writer, with room in its buffer and nearly full.
		for _, fill := range []int{0, 4090} {
			var out bytes.Buffer
			bw := bufio.NewWriterSize(&out, 4096)
			bw.Write(make([]byte, fill))
			if err := WriteHeader(bw, ex.header); err != nil {
				t.Fatal(err)
			}
			bw.Flush()
			if got := out.Bytes()[fill:]; !bytes.Equal(got, want) {
				t.Errorf("%s: WriteHeader to bufio after %d bytes = % x, want % x", ex.name, fill, got, want)
			}
		}
	}
}

func TestWriteHeaderError(t *testing.T) {
	boom := errors.New("boom")
	if err := WriteHeader(errWriter{boom}, Header{Opcode: OpText}); err != boom {
		t.Errorf("WriteHeader = %v, want %v", err, boom)
	}
}

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

func TestWriteHeaderAllocs(t *testing.T) {
	h := Header{Fin: true, Opcode: OpBinary, Masked: true, Key: rfcKey, Length: 70000}
	bw := bufio.NewWriter(io.Discard)
	allocs := testing.AllocsPerRun(100, func() {
		if err := WriteHeader(bw, h); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("WriteHeader to *bufio.Writer: %v allocs per run, want 0", allocs)
	}
}
