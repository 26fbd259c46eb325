// Package chatserver is the chat server of examples/chat, as a package, so
// that commands with other brokers (redisbroker/cmd/chat) run the same
// server: Main parses the command line and serves.
package chatserver
