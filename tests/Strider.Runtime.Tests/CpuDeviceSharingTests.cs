using Strider.Devices;
using Strider.Devices.Cpu;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// One CPU device serving several callers at once: every op carries its own arguments and workspace, so threads that
/// share a device get exactly (bit for bit) what each gets alone, whether its ops ran on the workers or on its own
/// thread while another caller held them; and a warmed op allocates nothing.
/// </summary>
public sealed class CpuDeviceSharingTests
{
    /// <summary>A training-step-like chain of ops on the caller's own buffers, different per <paramref name="seed"/>; returns every output.</summary>
    private static float[][] Step(Device device, int seed)
    {
        var rng = new Random(seed);
        // seed picks the conv path: phase-split strided backward data (8 dx channels, 16 dy channels), batched small
        // outputs, a 1x1 conv read in place, or a dilated padded one.
        var g = (seed % 4) switch
        {
            0 => Conv(8, 20, 18, 16, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1),
            1 => Conv(6, 7, 6, 12, 3, 3, sh: 2, sw: 2),
            2 => Conv(12, 9, 11, 10, 1, 1),
            _ => Conv(5, 16, 13, 9, 3, 3, pt: 2, pb: 2, pl: 2, pr: 2, dh: 2, dw: 2),
        };
        int n = 2 + seed % 3;
        var w = Buffer(device, rng, g.WeightSize);
        var x = Buffer(device, rng, n * g.InputSize);
        var bias = Buffer(device, rng, g.OutChannels);
        var y = Buffer(device, rng, n * g.OutputSize);
        var dy = Buffer(device, rng, n * g.OutputSize);
        var dx = Buffer(device, rng, n * g.InputSize);
        var dw = Buffer(device, rng, g.WeightSize);
        var dbias = Buffer(device, rng, g.OutChannels);
        device.ConvForward(g, n, x, w, bias, y);
        device.ConvBackwardData(g, n, dy, w, dx, accumulate: seed % 2 == 0);
        device.ConvBackwardWeights(g, n, x, dy, dw, dbias);

        int c = g.OutChannels, inner = g.OutH * g.OutW;
        var gamma = Buffer(device, rng, c);
        var beta = Buffer(device, rng, c);
        var runningMean = Buffer(device, rng, c);
        var runningVar = Buffer(device, rng, c, 0.5f, 2f);
        var mean = Buffer(device, rng, c);
        var invStd = Buffer(device, rng, c);
        var normed = Buffer(device, rng, n * g.OutputSize);
        var mask = Buffer(device, rng, n * g.OutputSize);
        var dnormed = Buffer(device, rng, n * g.OutputSize);
        var dgamma = Buffer(device, rng, c);
        var dbeta = Buffer(device, rng, c);
        device.BatchNormReluForwardTraining(n, c, inner, y, gamma, beta, runningMean, runningVar, 0.1f, 1e-5f, mask, 0.25f, (ulong)seed, normed, mean, invStd);
        var scratch = Buffer(device, rng, n * g.OutputSize);
        device.BatchNormReluBackward(n, c, inner, y, normed, dy, mask, gamma, mean, invStd, dnormed, dgamma, dbeta, accumulate: false, scratch);

        var pool = Pool(c, g.OutH, g.OutW, 2, 2, 2, 2);
        var pooled = Buffer(device, rng, n * pool.OutputSize);
        var switches = device.Allocate<int>(n * pool.OutputSize);
        device.MaxPoolForward(pool, n, normed, pooled, switches);
        var avg = Buffer(device, rng, n * pool.OutputSize);
        device.AvgPoolForward(pool, n, y, avg);

        long count = n * g.OutputSize;
        var activated = Buffer(device, rng, count);
        foreach (var f in Enum.GetValues<Activation>())
        {
            device.ActivationForward(f, count, y, activated, -0.5f, 0.5f);
            device.ActivationBackward(f, count, y, activated, dy, dnormed, accumulate: true, -0.5f, 0.5f);
        }
        int features = (int)pool.OutputSize, classes = 10;
        var dense = Buffer(device, rng, (long)classes * features);
        var logits = Buffer(device, rng, n * classes);
        var dlogits = Buffer(device, rng, n * classes);
        var probabilities = Buffer(device, rng, n * classes);
        device.DenseForward(n, features, classes, pooled, dense, null, logits);
        device.SoftmaxForward(false, n, classes, 1, logits, probabilities);
        var labels = device.Allocate<int>(n);
        labels.Upload(Enumerable.Range(0, n).Select(i => (i * 3 + seed) % classes).ToArray());
        float loss = device.SoftmaxCrossEntropy(n, classes, 1, logits, labels, dlogits);
        float mse = device.MeanSquaredError(count, y, activated, dnormed);
        var velocity = Buffer(device, rng, g.WeightSize);
        var m = Buffer(device, rng, g.WeightSize);
        var v = Buffer(device, rng, g.WeightSize, 0f, 1f);
        device.SgdStep(g.WeightSize, w, dw, velocity, 0.01f, 0.9f, 1e-4f);
        device.AdamStep(g.WeightSize, w, dw, m, v, 0.001f, 0.9f, 0.999f, 1e-8f, 0f, 3);
        return [y.ToArray(), dx.ToArray(), dw.ToArray(), dbias.ToArray(), normed.ToArray(), mask.ToArray(), dnormed.ToArray(), dgamma.ToArray(),
            runningVar.ToArray(), pooled.ToArray(), avg.ToArray(), logits.ToArray(), probabilities.ToArray(), dlogits.ToArray(), w.ToArray(), [loss, mse]];
    }

    private static DeviceBuffer<float> Buffer(Device device, Random rng, long count, float lo = -1f, float hi = 1f)
    {
        var b = device.Allocate<float>(count);
        b.Upload(Uniform(rng, count, lo, hi));
        return b;
    }

    [Fact]
    public void Threads_sharing_a_device_each_get_the_bits_they_get_alone()
    {
        const int threads = 4, rounds = 12;
        using var device = new CpuDevice(2);
        var alone = Enumerable.Range(0, threads).Select(t => Step(device, t)).ToArray();
        using var single = new CpuDevice(1);
        for (int t = 0; t < threads; t++) AssertSame(alone[t], Step(single, t), $"seed {t} on one thread");
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            // Past the rounds until some op met another thread's on the workers (a loaded machine may keep them apart).
            for (int r = 0; r < rounds || (device.ContendedOps == 0 && clock.Elapsed < TimeSpan.FromSeconds(30)); r++)
            {
                var got = Step(device, t);
                for (int i = 0; i < got.Length; i++)
                    if (!got[i].AsSpan().SequenceEqual(alone[t][i])) failures.Enqueue($"thread {t}, round {r}: output {i} differs from the run alone");
            }
        })).ToArray();
        foreach (var worker in workers) worker.Start();
        foreach (var worker in workers) worker.Join();
        Assert.Empty(failures);
        // The test means something only if some ops really ran beside another thread's (on their own thread).
        Assert.True(device.ContendedOps > 0, "No op ever found the workers busy: the threads never overlapped.");
    }

    private static void AssertSame(float[][] expected, float[][] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(expected[i].AsSpan().SequenceEqual(actual[i]), $"{what}: output {i} differs");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Warmed_ops_allocate_nothing(int seed)
    {
        using var device = new CpuDevice(2);
        var rng = new Random(seed);
        var g = seed switch
        {
            0 => Conv(8, 20, 18, 16, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1),
            1 => Conv(6, 7, 6, 12, 3, 3, sh: 2, sw: 2),
            2 => Conv(12, 9, 11, 10, 1, 1),
            _ => Conv(16, 28, 28, 24, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1),
        };
        const int n = 4;
        var w = Buffer(device, rng, g.WeightSize);
        var x = Buffer(device, rng, n * g.InputSize);
        var y = Buffer(device, rng, n * g.OutputSize);
        var dx = Buffer(device, rng, n * g.InputSize);
        var dw = Buffer(device, rng, g.WeightSize);
        var gamma = Buffer(device, rng, g.OutChannels);
        var stats = Enumerable.Range(0, 4).Select(_ => Buffer(device, rng, g.OutChannels, 0.5f, 1f)).ToArray();
        var normed = Buffer(device, rng, n * g.OutputSize);
        void Ops()
        {
            device.ConvForward(g, n, x, w, gamma, y);
            device.ConvBackwardData(g, n, y, w, dx, accumulate: false);
            device.ConvBackwardWeights(g, n, x, y, dw, gamma);
            device.BatchNormForwardTraining(n, g.OutChannels, g.OutH * g.OutW, y, gamma, stats[0], stats[1], stats[2], 0.1f, 1e-5f, normed, stats[3], stats[0]);
            device.ActivationForward(Activation.Relu, n * g.OutputSize, normed, normed);
            device.MeanSquaredError(n * g.InputSize, x, dx, dx);
        }
        Ops();
        Ops();
        Assert.Equal(0, AllocatedOutsideGcPauses(Ops, 5));

        // Again with every core busy, so the caller outwaits its spin and blocks for a late worker (a first blocking
        // wait once allocated its event's lock object on the caller's thread: 24 bytes seen in loaded suite runs).
        using var stop = new CancellationTokenSource();
        var hogs = Enumerable.Range(0, Environment.ProcessorCount * 2)
            .Select(_ => new Thread(() => { while (!stop.IsCancellationRequested) Thread.SpinWait(1000); }) { IsBackground = true })
            .ToArray();
        foreach (var hog in hogs) hog.Start();
        long allocated;
        try
        {
            allocated = AllocatedOutsideGcPauses(Ops, 20);
        }
        finally
        {
            stop.Cancel();
            foreach (var hog in hogs) hog.Join();
        }
        Assert.Equal(0, allocated);
    }

    /// <summary>
    /// Bytes this thread allocated over <paramref name="runs"/> calls of <paramref name="ops"/>, measured again (up to ten
    /// times) while a window saw a GC pause: a background GC started by another thread's allocations moves this thread's
    /// count by up to one allocation context (8 KB) with nothing allocated (8 to 8128 bytes seen in loaded runs, never
    /// with DOTNET_gcConcurrent=0). An op that really allocates shows in every window, so it still fails.
    /// </summary>
    private static long AllocatedOutsideGcPauses(Action ops, int runs)
    {
        for (int attempt = 1; ; attempt++)
        {
            var paused = GC.GetTotalPauseDuration();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < runs; i++) ops();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated == 0 || GC.GetTotalPauseDuration() == paused || attempt == 10) return allocated;
        }
    }
}
