package closecode_test

import (
	"errors"
	"fmt"

	"github.com/hybi/ws/closecode"
)

func ExampleAppend() {
	payload, err := closecode.Append(nil, closecode.GoingAway, "server shutting down")
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", payload[:2])
	fmt.Printf("%s\n", payload[2:])

	_, err = closecode.Append(nil, closecode.Abnormal, "")
	fmt.Println(err)
	// Output:
	// 03 e9
	// server shutting down
	// closecode: invalid close code
}

func ExampleParse() {
	code, reason, err := closecode.Parse([]byte("\x03\xe8done"))
	fmt.Println(code, reason, err)

	code, _, _ = closecode.Parse(nil)
	fmt.Println(code)

	_, _, err = closecode.Parse([]byte("\x03\xe8\xff"))
	var ce *closecode.Error
	if errors.As(err, &ce) {
		fmt.Println("fail the connection with", ce.Code)
	}
	// Output:
	// 1000 normal closure done <nil>
	// 1005 no status
	// fail the connection with 1007 invalid payload data
}
