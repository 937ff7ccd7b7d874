// Each test runs a whole cluster of nodes; on a two-core machine they run one at a time
// so timing measurements (latency, catch-up) mean something.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
