using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Strider.Benchmarks.CpuConvolutionBenchmarks).Assembly).Run(args);
