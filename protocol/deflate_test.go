package protocol_test

import "github.com/hybi/ws/deflate"

type (
	deflateParams = deflate.Params
	deflateConfig = deflate.Config
)
