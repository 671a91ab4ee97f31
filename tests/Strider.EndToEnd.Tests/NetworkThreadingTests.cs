using System.Collections.Concurrent;
using Strider.Devices;

namespace Strider.EndToEnd.Tests;

/// <summary>One network, two threads: a call that overlaps a running one throws a clear error, and none computes a wrong result.</summary>
public class NetworkThreadingTests
{
    internal static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    [Fact]
    public async Task Every_call_made_while_another_runs_throws_a_clear_error_and_changes_nothing()
    {
        using var device = new TestDevice();
        using var net = new Branchy(device, 1);
        using var x = Tensor<S2x10x10>.From(device, Values(400, 1));
        using var dy = Tensor<S3>.From(device, Values(6, 2));
        var expected = net.Forward(x).ToArray();
        string path = Path.Combine(Path.GetTempPath(), $"strider-threads-{Guid.NewGuid():N}.safetensors");
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        // The first op of the next Forward waits, so that call is running while this thread tries the others.
        device.BeforeOp = op =>
        {
            if (inside.IsSet) return;
            inside.Set();
            release.Wait();
        };
        var running = Task.Run(() => net.Forward(x).ToArray());
        try
        {
            Assert.True(inside.Wait(TimeSpan.FromSeconds(60)), "The Forward on the other thread never started.");
            var calls = new (string Name, Action Call)[]
            {
                ("Forward", () => net.Forward(x)),
                ("Backward", () => net.Backward(dy)),
                ("BackwardParameters", () => net.BackwardParameters(dy)),
                ("ZeroGrad", net.ZeroGrad),
                ("Save", () => net.Save(path)),
                ("Load", () => net.Load(path)),
                ("Training", () => net.Training = false),
                ("ExportOnnx", () => net.ExportOnnx()),
                ("Dispose", net.Dispose),
            };
            foreach (var (name, call) in calls)
            {
                var error = Assert.Throws<InvalidOperationException>(call);
                Assert.Contains($"Branchy.{name} was called while Branchy.Forward was still running on thread", error.Message);
                Assert.Contains("give each thread its own network", error.Message);
                Assert.Contains("hold one lock across each call and the use of its result", error.Message);
            }
        }
        finally
        {
            release.Set();
        }
        Assert.Equal(expected, await running);
        Assert.False(File.Exists(path));
        Assert.True(net.Training);
        // The refused calls left nothing behind: the network serves the next caller as before.
        device.BeforeOp = null;
        Assert.Equal(expected, net.Forward(x).ToArray());
        net.ZeroGrad();
        net.Backward(dy);
    }

    [Fact]
    public void One_network_hammered_from_two_threads_never_computes_a_wrong_result()
    {
        using var device = new TestDevice();
        using var net = new Branchy(device, 3);
        // Different batches, so overlapping calls would also regrow the buffers under each other.
        var inputs = new[] { Tensor<S2x10x10>.From(device, Values(200, 4)), Tensor<S2x10x10>.From(device, Values(600, 5)) };
        var expected = inputs.Select(x => net.Forward(x).ToArray()).ToArray();
        int right = 0, refused = 0;
        var wrong = new ConcurrentQueue<string>();
        var failures = new ConcurrentQueue<Exception>();
        using var start = new Barrier(2);
        var threads = Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                for (int call = 0; call < 300; call++)
                {
                    TestDevice.LastSoftmax = null;
                    try
                    {
                        net.Forward(inputs[t]);
                    }
                    catch (InvalidOperationException e) when (e.Message.Contains("was still running", StringComparison.Ordinal))
                    {
                        Interlocked.Increment(ref refused);
                        continue;
                    }
                    // What this thread's call computed, kept by its own last op (the view it returns is shared).
                    if (TestDevice.LastSoftmax is { } got && got.SequenceEqual(expected[t])) Interlocked.Increment(ref right);
                    else wrong.Enqueue($"thread {t}, call {call}");
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
            }
        })).ToList();
        threads.ForEach(th => th.Start());
        threads.ForEach(th => th.Join());
        foreach (var x in inputs) x.Dispose();
        Assert.Empty(failures);
        Assert.Empty(wrong);
        Assert.Equal(600, right + refused);
        Assert.True(right > 0);
    }

    [Fact]
    public void Networks_on_several_threads_sharing_one_device_compute_exactly_what_each_computes_alone()
    {
        using var device = new Strider.Devices.Cpu.CpuDevice(2);
        using var branchy = new Branchy(device, 3);
        using var sequence = new Sequence(device, 4);
        using var ddae = new SmallDdae(device, 6);
        var inputs = new List<IDisposable>();
        var steps = new[]
        {
            TrainingStep(branchy, inputs, Values(2 * 200, 7)),
            TrainingStep(sequence, inputs, Values(3 * 48, 8)),
            TrainingStep(ddae, inputs, Values(2 * 77 * 77, 9), 77, 77),
        };
        var alone = steps.Select(step => step()).ToArray();
        const int rounds = 8;
        var wrong = new ConcurrentQueue<string>();
        var failures = new ConcurrentQueue<Exception>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var start = new Barrier(steps.Length);
        var threads = Enumerable.Range(0, steps.Length).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                // Past the rounds until some op met another thread's on the workers (a loaded machine may keep them apart).
                for (int round = 0; round < rounds || (device.ContendedOps == 0 && clock.Elapsed < TimeSpan.FromSeconds(30)); round++)
                {
                    var got = steps[t]();
                    for (int i = 0; i < got.Length; i++)
                        if (!got[i].AsSpan().SequenceEqual(alone[t][i])) wrong.Enqueue($"network {t}, round {round}, output {i}");
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
            }
        })).ToList();
        threads.ForEach(th => th.Start());
        threads.ForEach(th => th.Join());
        inputs.ForEach(x => x.Dispose());
        Assert.Empty(failures);
        Assert.Empty(wrong);
        // Some ops of one network ran while another's held the device's workers (on their own thread, same bits).
        Assert.True(device.ContendedOps > 0, "The networks never overlapped on the device.");
    }

    /// <summary>
    /// One training step of <paramref name="net"/> on a fixed input and output gradient (Dropout's step put back
    /// first): returns the output, the input gradient and every parameter gradient and BatchNorm running statistic.
    /// The input tensor joins <paramref name="inputs"/>, for the caller to dispose.
    /// </summary>
    private static Func<float[][]> TrainingStep<TIn, TOut>(INetwork<TIn, TOut> net, List<IDisposable> inputs, float[] input, params int[] freeDims)
        where TIn : IShape where TOut : IShape
    {
        var x = Tensor<TIn>.From(net.Device, input, freeDims);
        inputs.Add(x);
        return () =>
        {
            net.DropoutStep = 0;
            foreach (var buffer in net.Buffers) buffer.Value.Upload(new float[buffer.Length]);
            net.ZeroGrad();
            var y = net.Forward(x);
            float[] output = y.ToArray();
            using var dy = Tensor<TOut>.From(net.Device, Values(output.Length, 11), y.Dims.ToArray().Where((_, axis) => TOut.Dims[axis] == Dim.Any).ToArray());
            float[] dx = net.Backward(dy).ToArray();
            return [output, dx, .. net.Parameters.Select(p => p.Gradient.ToArray()), .. net.Buffers.Select(b => b.Value.ToArray())];
        };
    }
}
