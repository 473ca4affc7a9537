package metrics

// Configuration of the metrics component.
type Configuration struct {
	// Path is where the API server mounts the Prometheus handler.
	Path string
}

// DefaultConfiguration serves /metrics.
func DefaultConfiguration() Configuration { return Configuration{Path: "/metrics"} }
