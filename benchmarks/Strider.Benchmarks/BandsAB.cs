using System.Globalization;
using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// `bands [rounds]`: the U-net's 1-channel stride-2 deconv (W4's last layer) and the whole of W4, with the strided
/// col2im run by row bands over both workers against one item per (image, channel block), alternated call by call.
/// </summary>
internal static class BandsAB
{
    public static void Run(string[] args)
    {
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
        Console.WriteLine($"threads {Workloads.Threads}, load {File.ReadAllText("/proc/loadavg").Trim()}");
        using var device = new CpuDevice(Workloads.Threads);
        // dx 1x1565x1565 from dY 32x781x781 through a 5x5 stride-2 kernel (the deconv W4 ends with).
        var g = new ConvGeometry(1, 1565, 1565, 32, 781, 781, 5, 5, 2, 2, 0, 0, 1, 1, 1);
        var rng = new Random(1);
        var (dy, w, dx) = (BenchmarkData.Signed(device, rng, g.OutputSize), BenchmarkData.Signed(device, rng, g.WeightSize), BenchmarkData.Signed(device, rng, g.InputSize));
        var workloads = new Workloads();
        workloads.Setup();
        for (int round = 0; round < rounds; round++)
        {
            Report($"round {round + 1}: deconv 32x781x781 -> 1x1565x1565 5x5/2", () => device.ConvBackwardData(g, 1, dy, w, dx, accumulate: false), 30);
            Report($"round {round + 1}: W4", workloads.W4Strider, 8);
        }
        workloads.Cleanup();
    }

    private static void Report(string name, Action run, int reps) =>
        QuickConv.SwitchAB(name, "one item", "bands", on => CpuConvolution.BandsOff = !on, run, reps);
}
