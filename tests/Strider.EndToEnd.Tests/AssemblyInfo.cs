// Every test here runs on Device.Default, and a device runs one op stream at a time (CpuDevice keeps each op's
// arguments in the device): test classes running in parallel raced on it (a DivideByZeroException in ConvBackwardData).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
