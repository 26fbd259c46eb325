package broker_test

import (
	"testing"

	"github.com/hybi/ws/broker"
	"github.com/hybi/ws/broker/brokertest"
)

func TestMemory(t *testing.T) {
	brokertest.Run(t, func(t *testing.T, size int) broker.Broker {
		return broker.NewMemory(&broker.MemoryOptions{HistorySize: size})
	}, nil)
}
