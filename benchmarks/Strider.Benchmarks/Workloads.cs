using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.ML.OnnxRuntime;
using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Training;

namespace Strider.Benchmarks;

/// <summary>
/// Issue 7's workloads, Strider's CPU device and ONNX Runtime side by side on the same network and weights, 2 threads
/// each: W1 LeNet training step (batch 64 of 1x28x28), W2 LeNet slid over 1x280x280 (output 10x64x64), W3 U-net
/// training step (batch 8 of 1x157x157), W4 U-net inference on 1x1565x1565. ONNX Runtime does not train: W1's and
/// W3's baseline is ORT's forward of the same net, weights and batch (issue 15's goal: a step within 3x that forward),
/// and their effective GFLOP/s = 3 x forward FLOPs / time.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[Config(typeof(WorkloadConfig))]
public class Workloads
{
    /// <summary>Threads on each side: 2, or STRIDER_THREADS (1 compares builds by thread CPU time on a busy machine).</summary>
    public static readonly int Threads = int.TryParse(Environment.GetEnvironmentVariable("STRIDER_THREADS"), out int t) && t > 0 ? t : 2;

    public static readonly double W1Flops = 3 * 64 * Flops.LeNet(28);
    public static readonly double W3Flops = 3 * 8 * Flops.Ddae(157);

    private Device _device = null!;

    /// <summary>Runs the Strider side on a <see cref="ProfilingDevice"/> (per-op timings) instead of the plain CPU device.</summary>
    public bool Profile { get; set; }

    /// <summary>The profiling device when <see cref="Profile"/> is set.</summary>
    public ProfilingDevice? Profiler => _device as ProfilingDevice;
    private LeNet _lenet = null!;
    private SlidingLeNet _sliding = null!;
    private Ddae _ddae = null!, _ddaeInference = null!;
    private Sgd _lenetSgd = null!, _ddaeSgd = null!;
    private Tensor<S1x28x28> _digits = null!;
    private Tensor<S10x1x1> _lenetGrad = null!;
    private DeviceBuffer<int> _labels = null!;
    private Tensor<S1xAnyxAny> _image = null!, _noisy = null!, _clean = null!, _ddaeGrad = null!, _large = null!;
    private OrtRunner _ortLeNet = null!, _ortDdae = null!, _ortLeNetBatch = null!, _ortDdaeBatch = null!;

    [GlobalSetup]
    public void Setup()
    {
        _device = Profile ? new ProfilingDevice(Threads) : new CpuDevice(Threads);
        var rng = new Random(7);
        float[] Uniform(long count, float lo = 0, float hi = 1)
        {
            var data = new float[count];
            for (int i = 0; i < data.Length; i++) data[i] = lo + (hi - lo) * (float)rng.NextDouble();
            return data;
        }

        _lenet = new LeNet(_device, seed: 1);
        _lenetSgd = new Sgd(_lenet, learningRate: 0.01f, momentum: 0.9f);
        _digits = Tensor<S1x28x28>.From(_device, Uniform(64 * 28 * 28));
        _lenetGrad = Tensor<S10x1x1>.Zeros(_device, 64);
        _labels = _device.Allocate<int>(64);
        _labels.Upload(Enumerable.Range(0, 64).Select(i => i % 10).ToArray());
        _ortLeNetBatch = new OrtRunner(_lenet.ExportOnnx(), "input", _digits.ToArray(), [64, 1, 28, 28], [64, 10, 1, 1]);

        _sliding = new SlidingLeNet(_device, seed: 1) { Training = false };
        _image = Tensor<S1xAnyxAny>.From(_device, Uniform(280 * 280), 280, 280);
        _ortLeNet = new OrtRunner(_sliding.ExportOnnx(), "input", _image.ToArray(), [1, 1, 280, 280], [1, 10, 64, 64]);

        _ddae = new Ddae(_device, seed: 1);
        _ddaeSgd = new Sgd(_ddae, learningRate: 0.01f, momentum: 0.9f);
        _clean = Tensor<S1xAnyxAny>.From(_device, Uniform(8 * 157 * 157), 157, 157);
        var clean = _clean.ToArray();
        _noisy = Tensor<S1xAnyxAny>.From(_device, clean.Select(v => v + 0.2f * ((float)rng.NextDouble() - 0.5f)).ToArray(), 157, 157);
        _ddaeGrad = Tensor<S1xAnyxAny>.Zeros(_device, 8, 157, 157);
        _ortDdaeBatch = new OrtRunner(_ddae.ExportOnnx(), "noisy", _noisy.ToArray(), [8, 1, 157, 157], [8, 1, 157, 157]);

        _ddaeInference = new Ddae(_device, seed: 2) { Training = false };
        _large = Tensor<S1xAnyxAny>.From(_device, Uniform(1565L * 1565), 1565, 1565);
        _ortDdae = new OrtRunner(_ddaeInference.ExportOnnx(), "noisy", _large.ToArray(), [1, 1, 1565, 1565], [1, 1, 1565, 1565]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ortLeNet.Dispose();
        _ortDdae.Dispose();
        _ortLeNetBatch.Dispose();
        _ortDdaeBatch.Dispose();
        _lenetSgd.Dispose();
        _ddaeSgd.Dispose();
        _lenet.Dispose();
        _sliding.Dispose();
        _ddae.Dispose();
        _ddaeInference.Dispose();
        _device.Dispose();
    }

    [Benchmark(Description = "W1 LeNet forward b64, ORT", Baseline = true), BenchmarkCategory("W1")]
    public void W1OrtForward() => _ortLeNetBatch.Run();

    [Benchmark(Description = "W1 LeNet train step b64, Strider"), BenchmarkCategory("W1")]
    public float W1Strider()
    {
        var y = _lenet.Forward(_digits);
        float loss = Losses.CrossEntropy(y, _labels, _lenetGrad);
        _lenet.ZeroGrad();
        // A training step needs the parameter gradients only (PyTorch skips an input that does not require grad).
        _lenet.BackwardParameters(_lenetGrad);
        _lenetSgd.Step();
        return loss;
    }

    [Benchmark(Description = "W2 LeNet sliding 280x280, ORT", Baseline = true), BenchmarkCategory("W2")]
    public void W2Ort() => _ortLeNet.Run();

    [Benchmark(Description = "W2 LeNet sliding 280x280, Strider"), BenchmarkCategory("W2")]
    public void W2Strider() => _sliding.Forward(_image);

    [Benchmark(Description = "W3 U-net forward b8 157x157, ORT", Baseline = true), BenchmarkCategory("W3")]
    public void W3OrtForward() => _ortDdaeBatch.Run();

    [Benchmark(Description = "W3 U-net train step b8 157x157, Strider"), BenchmarkCategory("W3")]
    public float W3Strider()
    {
        var y = _ddae.Forward(_noisy);
        float loss = Losses.MeanSquaredError(y, _clean, _ddaeGrad);
        _ddae.ZeroGrad();
        _ddae.BackwardParameters(_ddaeGrad);
        _ddaeSgd.Step();
        return loss;
    }

    [Benchmark(Description = "W4 U-net inference 1565x1565, ORT", Baseline = true), BenchmarkCategory("W4")]
    public void W4Ort() => _ortDdae.Run();

    [Benchmark(Description = "W4 U-net inference 1565x1565, Strider"), BenchmarkCategory("W4")]
    public void W4Strider() => _ddaeInference.Forward(_large);

    /// <summary>
    /// Largest relative difference between Strider's and ONNX Runtime's outputs for W1's and W3's forward (inference mode)
    /// and W2 and W4 (a sanity check that both run the same net).
    /// </summary>
    public (double W1, double W2, double W3, double W4) Agreement()
    {
        static double MaxRel(float[] a, float[] b)
        {
            double scale = Math.Max(1e-6, b.Max(Math.Abs)), worst = 0;
            for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]) / scale);
            return worst;
        }
        W1OrtForward();
        W2Ort();
        W3OrtForward();
        W4Ort();
        _lenet.Training = false;
        _ddae.Training = false;
        double w1 = MaxRel(_lenet.Forward(_digits).ToArray(), _ortLeNetBatch.Output);
        double w3 = MaxRel(_ddae.Forward(_noisy).ToArray(), _ortDdaeBatch.Output);
        _lenet.Training = true;
        _ddae.Training = true;
        return (w1, MaxRel(_sliding.Forward(_image).ToArray(), _ortLeNet.Output), w3, MaxRel(_ddaeInference.Forward(_large).ToArray(), _ortDdae.Output));
    }
}

/// <summary>One ONNX Runtime session with preallocated input and output tensors (2 intra-op threads, 1 inter-op).</summary>
public sealed class OrtRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private readonly OrtValue _input, _output;
    private readonly string[] _inputNames, _outputNames;

    /// <param name="profilePrefix">Where ONNX Runtime writes its per-node profile (JSON, see <see cref="EndProfiling"/>); null: no profile.</param>
    public OrtRunner(byte[] model, string inputName, float[] input, long[] inputShape, long[] outputShape, string? profilePrefix = null)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = Workloads.Threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        if (profilePrefix != null)
        {
            options.EnableProfiling = true;
            options.ProfileOutputPathPrefix = profilePrefix;
        }
        _session = new InferenceSession(model, options);
        Output = new float[outputShape.Aggregate(1L, (a, b) => a * b)];
        _input = OrtValue.CreateTensorValueFromMemory(input, inputShape);
        _output = OrtValue.CreateTensorValueFromMemory(Output, outputShape);
        _inputNames = [inputName];
        _outputNames = [_session.OutputNames[0]];
    }

    /// <summary>The last run's output.</summary>
    public float[] Output { get; }

    public void Run() => _session.Run(_run, _inputNames, [_input], _outputNames, [_output]);

    /// <summary>Ends a profiling session's profile and returns its file.</summary>
    public string EndProfiling() => _session.EndProfiling();

    public void Dispose()
    {
        _input.Dispose();
        _output.Dispose();
        _run.Dispose();
        _session.Dispose();
    }
}

/// <summary>Forward FLOPs (2 x multiply-adds of the convolutions) of the W1-W4 networks, from their layer geometry.</summary>
public static class Flops
{
    /// <summary>2 Cin Cout k^2 per output position of a conv; per input position of a transposed conv.</summary>
    private static double Conv(int cin, int cout, int k, int positions) => 2.0 * cin * cout * k * k * positions;

    public static double LeNet(int size)
    {
        int c1 = size - 4, p1 = c1 / 2, c2 = p1 - 4, p2 = c2 / 2, c3 = p2 - 3;
        return Conv(1, 20, 5, c1 * c1) + Conv(20, 50, 5, c2 * c2) + Conv(50, 500, 4, c3 * c3) + Conv(500, 10, 1, c3 * c3);
    }

    /// <summary>torchvision's resnet18 on 3 x size x size: 3,628,146,688 at 224 (convs and fc, as counted by forward hooks on torchvision's model).</summary>
    public static double ResNet18(int size = 224)
    {
        int s = (size + 6 - 7) / 2 + 1;
        double flops = Conv(3, 64, 7, s * s);
        s = (s + 2 - 3) / 2 + 1;
        int cin = 64;
        foreach (var (c, stride) in new[] { (64, 1), (128, 2), (256, 2), (512, 2) })
        {
            int o = (s + 2 - 3) / stride + 1;
            flops += Conv(cin, c, 3, o * o) + Conv(c, c, 3, o * o) + (stride != 1 || cin != c ? Conv(cin, c, 1, o * o) : 0);
            flops += 2 * Conv(c, c, 3, o * o);
            (s, cin) = (o, c);
        }
        return flops + 2.0 * 512 * 1000;
    }

    /// <summary>torchvision's mobilenet_v2 on 3 x size x size: 601,548,544 at 224 (counted likewise).</summary>
    public static double MobileNetV2(int size = 224)
    {
        int s = (size + 2 - 3) / 2 + 1, cin = 32;
        double flops = Conv(3, 32, 3, s * s);
        foreach (var (t, c, n, stride) in new[] { (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1) })
            for (int i = 0; i < n; i++)
            {
                int hidden = cin * t, o = (s + 2 - 3) / (i == 0 ? stride : 1) + 1;
                // 1x1 expansion (none when t = 1), 3x3 depthwise (one input channel per output), 1x1 projection.
                flops += (t == 1 ? 0 : Conv(cin, hidden, 1, s * s)) + Conv(1, hidden, 3, o * o) + Conv(hidden, c, 1, o * o);
                (s, cin) = (o, c);
            }
        return flops + Conv(320, 1280, 1, s * s) + 2.0 * 1280 * 1000;
    }

    public static double Ddae(int size)
    {
        int s1 = (size - 5) / 2 + 1, s2 = (s1 - 5) / 2 + 1, s3 = (s2 - 5) / 2 + 1, s4 = (s3 - 5) / 2 + 1;
        double down = Conv(1, 32, 5, s1 * s1) + Conv(32, 32, 5, s2 * s2) + Conv(32, 64, 5, s3 * s3) + Conv(64, 64, 5, s4 * s4);
        double up = Conv(64, 64, 5, s4 * s4) + Conv(64, 32, 5, s3 * s3) + Conv(32, 32, 5, s2 * s2) + Conv(32, 1, 5, s1 * s1);
        return down + up;
    }
}

/// <summary>Adds the effective GFLOP/s column (3 x forward FLOPs / mean time) for the training steps W1 and W3.</summary>
public sealed class WorkloadConfig : ManualConfig
{
    public WorkloadConfig() => AddColumn(new GflopsColumn(method => method switch
    {
        nameof(Workloads.W1Strider) => Workloads.W1Flops,
        nameof(Workloads.W1OrtForward) => Workloads.W1Flops / 3,
        nameof(Workloads.W3Strider) => Workloads.W3Flops,
        nameof(Workloads.W3OrtForward) => Workloads.W3Flops / 3,
        _ => 0,
    }, "3 x forward FLOPs / mean time (training steps W1, W3; forward FLOPs for ORT's forwards)"));
}
