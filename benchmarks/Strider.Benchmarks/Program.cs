using BenchmarkDotNet.Running;

if (args.Length > 0 && args[0] == "quick") Strider.Benchmarks.QuickConv.Run(args);
else if (args.Length > 0 && args[0] == "profile") Strider.Benchmarks.QuickConv.RunProfile(args);
else if (args.Length > 0 && args[0] == "memory") Strider.Benchmarks.MemoryProbe.Run(args);
else if (args.Length > 0 && args[0] == "loop") Strider.Benchmarks.QuickConv.RunLoop(args);
else if (args.Length > 0 && args[0] == "passes") Strider.Benchmarks.ConvPassBench.Run(args);
else if (args.Length > 0 && args[0] == "pointwise") Strider.Benchmarks.PointwiseAB.Run(args);
else if (args.Length > 0 && args[0] == "pointwise-block") Strider.Benchmarks.PointwiseBlockAB.Run(args);
else if (args.Length > 0 && args[0] == "network-ab") Strider.Benchmarks.NetworkAB.Run(args);
else if (args.Length > 0 && args[0] == "pointwise-span") Strider.Benchmarks.PointwiseSpanAB.Run(args);
else if (args.Length > 0 && args[0] == "depthwise") Strider.Benchmarks.DepthwiseAB.Run(args);
else if (args.Length > 0 && args[0] == "epilogue") Strider.Benchmarks.EpilogueAB.Run(args);
else if (args.Length > 0 && args[0] == "wgrad") Strider.Benchmarks.WeightGradientAB.Run(args);
else if (args.Length > 0 && args[0] == "wpack") Strider.Benchmarks.WeightPackingAB.Run(args);
else if (args.Length > 0 && args[0] == "kernel-ab") Strider.Benchmarks.KernelAB.Run(args);
else if (args.Length > 0 && args[0] == "handout") Strider.Benchmarks.HandoutAB.Run(args);
else if (args.Length > 0 && args[0] == "quick-w") Strider.Benchmarks.QuickConv.RunWorkloads(args);
else BenchmarkSwitcher.FromAssembly(typeof(Strider.Benchmarks.CpuConvolutionBenchmarks).Assembly).Run(args);
