using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Devices.Gpu;

namespace Strider.GpuCheck;

/// <summary>
/// The GPU check's .NET side, run step by step by tools/gpu/run.sh from the bundle; each command takes
/// <c>--simulator</c> for ILGPU's CPU simulator at small sizes instead of the first CUDA GPU:
/// <c>info</c> prints what ILGPU sees (devices, compute capability, memory, the PTX ISA chosen);
/// <c>agree</c> runs one training step of LeNet and the U-net on the accelerator and on the CPU device and compares them;
/// <c>time [--results FILE]</c> times W3, W5 and W7 (TSV rows to FILE);
/// <c>tune [--results FILE]</c> times the tiled GEMM at several tilings on ResNet-18's convolutions and on W3/W5/W7;
/// <c>table FILE...</c> prints the timing rows of several such files (Strider's and PyTorch's) as one table with ratios.
/// Exit code 0 only when the command's checks pass.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            string[] rest = args.Skip(1).ToArray();
            bool simulator = rest.Contains("--simulator");
            var sizes = simulator ? CheckSizes.Simulator : CheckSizes.Gpu;
            switch (args.FirstOrDefault())
            {
                case "info":
                    // The runtime's folder shows the bundle's own .NET runs, not one installed on the machine.
                    Console.WriteLine($".NET {Environment.Version} from {System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory()}");
                    if (!simulator && !AcceleratorReport.PrintCudaDevices(Console.Out))
                    {
                        Console.WriteLine("FAIL: ILGPU finds no CUDA device; run.sh --simulator checks on ILGPU's CPU simulator instead.");
                        return 1;
                    }
                    using (var device = CreateDevice(simulator)) AcceleratorReport.PrintChosen(device, Console.Out);
                    return 0;
                case "agree":
                    using (var device = CreateDevice(simulator))
                    using (var cpu = new CpuDevice())
                    {
                        bool agreed = TrainingAgreement.Run(device, cpu, sizes, Console.Out);
                        Console.WriteLine(agreed ? "AGREEMENT: ok" : "AGREEMENT: FAILED");
                        return agreed ? 0 : 1;
                    }
                case "time":
                    using (var device = CreateDevice(simulator))
                    {
                        // Rows are written as they are measured: a step stopped at its time limit keeps the ones it has.
                        int at = Array.IndexOf(rest, "--results");
                        string? results = at >= 0 && at + 1 < rest.Length ? rest[at + 1] : null;
                        if (results is not null) File.WriteAllText(results, "");
                        WorkloadTimer.Run(device, sizes, Console.Out, row => { if (results is not null) ResultsTable.Append(results, row); });
                        return 0;
                    }
                case "tune":
                    using (var device = CreateDevice(simulator))
                    {
                        int at = Array.IndexOf(rest, "--results");
                        string? results = at >= 0 && at + 1 < rest.Length ? rest[at + 1] : null;
                        return GemmTuner.Run(device, simulator, sizes with { Warmups = Math.Min(sizes.Warmups, 2), Runs = Math.Min(sizes.Runs, 5), BudgetSeconds = 15 }, Console.Out, results);
                    }
                case "table":
                    return ResultsTable.Print(rest, Console.Out);
                default:
                    Console.WriteLine("usage: Strider.GpuCheck info|agree|time|tune [--simulator] [--results FILE] | table FILE...");
                    return 2;
            }
        }
        catch (Exception e)
        {
            Console.WriteLine($"FAIL: {e.GetType().Name}: {e.Message}");
            Console.WriteLine(e);
            return 1;
        }
    }

    private static IlgpuDevice CreateDevice(bool simulator) => simulator ? IlgpuDevice.CreateCpuSimulator() : IlgpuDevice.CreateCuda();
}

/// <summary>Batch and image sizes of the checks: the workloads on a GPU, small ones on the simulator (about 0.2 GFLOP/s).</summary>
/// <param name="BudgetSeconds">About how long one workload's warm-ups and runs may take together; slow ones get fewer.</param>
public sealed record CheckSizes(
    int LeNetBatch, int UnetBatch, int UnetSize, int W3Batch, int W3Size, bool ResNet, int W5Batch, int W7Batch, int Warmups, int Runs, int BudgetSeconds)
{
    /// <summary>W3 = U-net train step b8 157x157, W5 = ResNet-18 inference b32 224, W7 = ResNet-18 train step b8 224.</summary>
    public static CheckSizes Gpu { get; } = new(LeNetBatch: 64, UnetBatch: 8, UnetSize: 157, W3Batch: 8, W3Size: 157, ResNet: true, W5Batch: 32, W7Batch: 8, Warmups: 3, Runs: 10, BudgetSeconds: 40);

    /// <summary>
    /// Seconds of simulated work: the U-net at 93 (batch 2, so its innermost BatchNorm normalises 18 values a channel)
    /// and timed at 61, one run without warm-up; no ResNet-18 (about 10 s per image). At 77 that BatchNorm has 8 values a
    /// channel and its gradients follow rounding-level changes in the forward: a change of the CPU conv's summation order
    /// (the channel tiles) moved bn6.bias's gradient by 3.8e-3 relative there, and 1.4e-6 at 93.
    /// </summary>
    public static CheckSizes Simulator { get; } = new(LeNetBatch: 2, UnetBatch: 2, UnetSize: 93, W3Batch: 1, W3Size: 61, ResNet: false, W5Batch: 0, W7Batch: 0, Warmups: 0, Runs: 1, BudgetSeconds: 60);
}
