// The networks run on Device.Default, and a CPU device runs one op at a time (CpuDevice's contract): no parallel test classes.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
