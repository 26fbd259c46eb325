package broker_test

import (
	"context"
	"fmt"

	"github.com/hybi/ws/broker"
)

// A client that got the message at p and comes back asks the history for
// what followed.
func ExampleMemory_History() {
	ctx := context.Background()
	b := broker.NewMemory(nil)
	p, _ := b.Publish(ctx, "room", []byte("hello"))
	b.Publish(ctx, "room", []byte("how are you?"))
	b.Publish(ctx, "room", []byte("bye"))
	msgs, top, _ := b.History(ctx, "room", p)
	for _, m := range msgs {
		fmt.Println(m.Pos.Offset, string(m.Data))
	}
	fmt.Println("last:", top.Offset)
	_, _, err := b.History(ctx, "room", broker.Position{Epoch: "of another life", Offset: 1})
	fmt.Println(err)
	// Output:
	// 2 how are you?
	// 3 bye
	// last: 3
	// broker: messages since that position are lost
}
