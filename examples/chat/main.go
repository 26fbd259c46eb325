package main

import "github.com/hybi/ws/examples/chat/chatserver"

func main() { chatserver.Main(nil) }
