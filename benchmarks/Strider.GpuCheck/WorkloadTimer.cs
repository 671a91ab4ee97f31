using System.Diagnostics;
using Strider.Benchmarks;
using Strider.Devices;
using Strider.Training;

namespace Strider.GpuCheck;

/// <summary>One timed workload: the median and fastest of <see cref="Runs"/> timed runs after the warm-ups.</summary>
public sealed record TimingRow(string Id, string Workload, string Framework, double MedianMs, double MinMs, int Runs);

/// <summary>
/// Times W3 (U-net train step), W5 (ResNet-18 inference) and W7 (ResNet-18 train step) on the accelerator: warm-ups
/// first (kernels compile on first use), then each run timed from its start to the accelerator's synchronisation.
/// Slow workloads get fewer warm-ups and runs (at least 3 runs where the sizes ask for 3 or more), so the check
/// keeps to its time on any kernels.
/// </summary>
public static class WorkloadTimer
{
    /// <summary>Times each workload, handing each row to <paramref name="measured"/> as soon as it is measured.</summary>
    public static List<TimingRow> Run(Device device, CheckSizes sizes, TextWriter output, Action<TimingRow> measured)
    {
        var rows = new List<TimingRow>();
        void Add(TimingRow row)
        {
            rows.Add(row);
            measured(row);
        }
        var rng = new Random(7);
        float[] Uniform(long count)
        {
            var data = new float[count];
            for (int i = 0; i < data.Length; i++) data[i] = (float)rng.NextDouble();
            return data;
        }

        {
            int batch = sizes.W3Batch, size = sizes.W3Size;
            using var net = new Ddae(device, seed: 1);
            using var sgd = new Sgd(net, learningRate: 0.01f, momentum: 0.9f);
            using var clean = Tensor<S1xAnyxAny>.From(device, Uniform((long)batch * size * size), size, size);
            using var noisy = Tensor<S1xAnyxAny>.From(device, Uniform((long)batch * size * size), size, size);
            using var grad = Tensor<S1xAnyxAny>.Zeros(device, batch, size, size);
            Add(Time("W3", $"U-net train step b{batch} {size}x{size}", device, sizes, output, () =>
            {
                var y = net.Forward(noisy);
                Losses.MeanSquaredError(y, clean, grad);
                net.ZeroGrad();
                net.BackwardParameters(grad);
                sgd.Step();
            }));
        }

        if (!sizes.ResNet)
        {
            output.WriteLine("W5, W7 skipped on the simulator: ResNet-18 at 224x224 is about 1.8 GFLOP per image forward, about 10 s per image at the simulator's 0.2 GFLOP/s.");
            return rows;
        }

        {
            using var net = new ResNet18(device, seed: 1) { Training = false };
            using var x = Tensor<S3x224x224>.From(device, Uniform(sizes.W5Batch * 3L * 224 * 224));
            Add(Time("W5", $"ResNet-18 inference b{sizes.W5Batch} 224x224", device, sizes, output, () => net.Forward(x)));
        }
        {
            int batch = sizes.W7Batch;
            using var net = new ResNet18(device, seed: 1);
            using var sgd = new Sgd(net, learningRate: 0.01f, momentum: 0.9f);
            using var x = Tensor<S3x224x224>.From(device, Uniform(batch * 3L * 224 * 224));
            using var grad = Tensor<S1000x1x1>.Zeros(device, batch);
            using var labels = device.Allocate<int>(batch);
            labels.Upload(Enumerable.Range(0, batch).Select(i => (i * 37) % 1000).ToArray());
            Add(Time("W7", $"ResNet-18 train step b{batch} 224x224", device, sizes, output, () =>
            {
                var y = net.Forward(x);
                Losses.SoftmaxCrossEntropy(y, labels, grad);
                net.ZeroGrad();
                net.BackwardParameters(grad);
                sgd.Step();
            }));
        }
        return rows;
    }

    private static TimingRow Time(string id, string workload, Device device, CheckSizes sizes, TextWriter output, Action step)
    {
        double budgetMs = sizes.BudgetSeconds * 1000.0, warmupMs = 0, lastMs = 0;
        int warmups = 0;
        while (warmups < sizes.Warmups && warmupMs < budgetMs / 2)
        {
            var clock = Stopwatch.StartNew();
            step();
            device.Synchronize();
            lastMs = clock.Elapsed.TotalMilliseconds;
            warmupMs += lastMs;
            warmups++;
        }
        int runs = lastMs > 0 ? Math.Clamp((int)(budgetMs / 2 / lastMs), Math.Min(3, sizes.Runs), sizes.Runs) : sizes.Runs;
        var samples = new double[runs];
        for (int i = 0; i < samples.Length; i++)
        {
            var clock = Stopwatch.StartNew();
            step();
            device.Synchronize();
            samples[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(samples);
        var row = new TimingRow(id, workload, "strider", samples[samples.Length / 2], samples[0], samples.Length);
        output.WriteLine($"time {id} {workload}: median {row.MedianMs:F2} ms, min {row.MinMs:F2} ms over {row.Runs} runs " +
            $"({warmups} warm-ups took {warmupMs:F0} ms); all: {string.Join(" ", samples.Select(s => s.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}");
        return row;
    }
}
