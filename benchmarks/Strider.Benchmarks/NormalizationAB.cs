using System.Globalization;
using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// `bn-ab [reps] [cold]`: W7's training BatchNorm -> Relu forward and backward on ResNet-18's activation shapes at batch
/// 8, on the device's threads (STRIDER_THREADS), each against a copy of the same tensor (the memory floor), wall
/// medians; with "cold" 64 MB are read before each call, so the tensors come from memory.
/// </summary>
public static class NormalizationAB
{
    public static void Run(string[] args)
    {
        int reps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30;
        bool cold = args.Contains("cold");
        const int n = 8;
        using var device = new CpuDevice(Workloads.Threads);
        Console.WriteLine($"threads {Workloads.Threads}, load {File.ReadAllText("/proc/loadavg").Trim()}{(cold ? ", cold" : "")}");
        var evict = cold ? new float[16 << 20] : null;
        foreach (var (c, h) in new[] { (64, 112), (64, 56), (128, 28), (256, 14), (512, 7) })
        {
            var rng = new Random(3);
            long size = (long)n * c * h * h;
            var x = BenchmarkData.Signed(device, rng, size);
            var dy = BenchmarkData.Signed(device, rng, size);
            var y = device.Allocate<float>(size);
            var dx = device.Allocate<float>(size);
            var gamma = BenchmarkData.Uniform(device, rng, c);
            var beta = BenchmarkData.Uniform(device, rng, c);
            var runMean = device.Allocate<float>(c);
            var runVar = device.Allocate<float>(c);
            var mean = device.Allocate<float>(c);
            var invStd = device.Allocate<float>(c);
            var dgamma = device.Allocate<float>(c);
            var dbeta = device.Allocate<float>(c);
            var ops = new (string Name, Action Run)[]
            {
                ("copy x -> y", () => device.Copy(x, 0, y, 0, size, false)),
                ("bn-relu forward", () => device.BatchNormReluForwardTraining(n, c, h * h, x, gamma, beta, runMean, runVar, 0.1f, 1e-5f, null, 0, 0, y, mean, invStd)),
                ("bn-relu backward", () => device.BatchNormReluBackward(n, c, h * h, x, y, dy, null, gamma, mean, invStd, dx, dgamma, dbeta, false, dx)),
                ("bn forward", () => device.BatchNormForwardTraining(n, c, h * h, x, gamma, beta, runMean, runVar, 0.1f, 1e-5f, y, mean, invStd)),
                ("bn backward", () => device.BatchNormBackward(n, c, h * h, x, dy, gamma, mean, invStd, dx, dgamma, dbeta, false)),
            };
            var times = ops.Select(_ => new double[reps]).ToArray();
            for (int i = -3; i < reps; i++)
                for (int j = 0; j < ops.Length; j++)
                {
                    if (evict != null) { float s = 0; for (int k = 0; k < evict.Length; k += 16) s += evict[k]; evict[0] = s * 0; }
                    var (_, wall) = QuickConv.TimeCpuAndWall(ops[j].Run);
                    if (i >= 0) times[j][i] = wall;
                }
            double floor = QuickConv.Median(times[0]);
            var rows = ops.Select((o, j) => string.Create(CultureInfo.InvariantCulture, $"{o.Name} {QuickConv.Median(times[j]):F3} ms ({QuickConv.Median(times[j]) / floor:F2}x copy)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {n}x{c}x{h}x{h} ({size * 4 / 1e6:F1} MB): ") + string.Join(", ", rows));
        }
    }
}
