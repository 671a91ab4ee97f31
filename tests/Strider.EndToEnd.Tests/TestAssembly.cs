// Every test runs on Device.Default, which serialises its ops (CpuDevice takes a lock per op): test classes running in
// parallel would only queue on it, so they run one at a time.
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]
