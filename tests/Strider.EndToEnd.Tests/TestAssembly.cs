// Every test runs on Device.Default, and a device runs one op at a time (CpuDevice's contract): no parallel test classes.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
