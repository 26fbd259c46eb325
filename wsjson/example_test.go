package wsjson_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/wsjson"
)

// One JSON value per message, both ways; a message that is not JSON is
// reported as such and the connection goes on.
func Example() {
	client, server, err := conn.Pipe(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer client.CloseNow()
	defer server.CloseNow()
	ctx := context.Background()

	type move struct {
		Player string `json:"player"`
		X, Y   int
	}
	if err := wsjson.Write(ctx, client, move{"ann", 3, 4}); err != nil {
		log.Fatal(err)
	}
	var m move
	if err := wsjson.Read(ctx, server, &m); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", m)

	client.Write(ctx, conn.Text, []byte("{oops"))
	err = wsjson.Read(ctx, server, &m)
	fmt.Println(errors.Is(err, wsjson.ErrInvalidJSON), err)
	// Output:
	// {Player:ann X:3 Y:4}
	// true wsjson: message is not valid JSON: invalid character 'o' looking for beginning of object key string
}
