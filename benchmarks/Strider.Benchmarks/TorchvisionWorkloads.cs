using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Training;

namespace Strider.Benchmarks;

/// <summary>
/// Issue 15's workloads on torchvision's nets, Strider's CPU device and ONNX Runtime side by side on the same network
/// and weights (ORT runs Strider's own ExportOnnx), 2 threads each: W5 ResNet-18 inference (batch 1, 3x224x224), W6
/// MobileNetV2 inference (batch 1), W7 a ResNet-18 training step (batch 8: forward, softmax cross-entropy,
/// BackwardParameters, SGD with momentum) against ORT's forward of the same batch (the goal is at most 3x it).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[Config(typeof(TorchvisionWorkloadConfig))]
public class TorchvisionWorkloads
{
    /// <summary>torchvision's parameter counts (sum of p.numel() over model.parameters()).</summary>
    public const long ResNet18Parameters = 11_689_512, MobileNetV2Parameters = 3_504_872;

    public const int TrainBatch = 8;

    private Device _device = null!;
    private TorchResNet18 _resnet = null!, _resnetTrain = null!;
    private TorchMobileNetV2 _mobilenet = null!;
    private Sgd _sgd = null!;
    private Tensor<S3x224x224> _image = null!, _batch = null!;
    private Tensor<S1000> _logitsGrad = null!;
    private DeviceBuffer<int> _labels = null!;
    private OrtRunner _ortResNet = null!, _ortMobileNet = null!, _ortResNetBatch = null!;

    /// <summary>Runs the Strider side on a <see cref="ProfilingDevice"/> (per-op timings) instead of the plain CPU device.</summary>
    public bool Profile { get; set; }

    /// <summary>The profiling device when <see cref="Profile"/> is set.</summary>
    public ProfilingDevice? Profiler => _device as ProfilingDevice;

    /// <summary>Builds only what the named workloads need (all three when empty): the training net and its ORT batch are the largest.</summary>
    public IReadOnlyCollection<string> Only { get; set; } = [];

    private bool Wanted(string name) => Only.Count == 0 || Only.Contains(name);

    [GlobalSetup]
    public void Setup()
    {
        _device = Profile ? new ProfilingDevice(Workloads.Threads) : new CpuDevice(Workloads.Threads);
        var rng = new Random(11);
        float[] Uniform(long count)
        {
            var data = new float[count];
            for (int i = 0; i < data.Length; i++) data[i] = (float)rng.NextDouble() * 2 - 1;
            return data;
        }

        _image = Tensor<S3x224x224>.From(_device, Uniform(3 * 224 * 224));
        if (Wanted("W5") || Wanted("W7"))
        {
            _resnet = new TorchResNet18(_device, seed: 1) { Training = false };
            CheckParameterCount(_resnet, "ResNet-18", ResNet18Parameters);
            _ortResNet = new OrtRunner(_resnet.ExportOnnx(), "input", _image.ToArray(), [1, 3, 224, 224], [1, 1000]);
        }
        if (Wanted("W6"))
        {
            _mobilenet = new TorchMobileNetV2(_device, seed: 1) { Training = false };
            CheckParameterCount(_mobilenet, "MobileNetV2", MobileNetV2Parameters);
            _ortMobileNet = new OrtRunner(_mobilenet.ExportOnnx(), "input", _image.ToArray(), [1, 3, 224, 224], [1, 1000]);
        }
        if (Wanted("W7"))
        {
            // The same initial weights as W5's net; ORT's side is that net's forward over the same batch.
            _resnetTrain = new TorchResNet18(_device, seed: 1);
            _sgd = new Sgd(_resnetTrain, learningRate: 0.01f, momentum: 0.9f);
            _batch = Tensor<S3x224x224>.From(_device, Uniform(TrainBatch * 3 * 224 * 224));
            _logitsGrad = Tensor<S1000>.Zeros(_device, TrainBatch);
            _labels = _device.Allocate<int>(TrainBatch);
            _labels.Upload(Enumerable.Range(0, TrainBatch).Select(i => i * 97 % 1000).ToArray());
            _ortResNetBatch = new OrtRunner(_resnet.ExportOnnx(), "input", _batch.ToArray(), [TrainBatch, 3, 224, 224], [TrainBatch, 1000]);
        }
    }

    /// <summary>Throws unless the net has torchvision's parameter count (the flat declaration missed or added a layer).</summary>
    public static void CheckParameterCount(INetwork net, string name, long expected)
    {
        long count = net.Parameters.Sum(p => p.Length);
        if (count != expected)
            throw new InvalidOperationException($"{name} declares {count:N0} parameters; torchvision's has {expected:N0}. Compare the layers in TorchvisionNetworks.cs with torchvision's model.");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ortResNet?.Dispose();
        _ortMobileNet?.Dispose();
        _ortResNetBatch?.Dispose();
        _sgd?.Dispose();
        _resnet?.Dispose();
        _resnetTrain?.Dispose();
        _mobilenet?.Dispose();
        _device.Dispose();
    }

    /// <summary>FLOPs of one run of the named benchmark method (see <see cref="TorchvisionWorkloadConfig"/>).</summary>
    public static double FlopsOf(string method) => method switch
    {
        nameof(W5Ort) or nameof(W5Strider) => Flops.ResNet18(),
        nameof(W6Ort) or nameof(W6Strider) => Flops.MobileNetV2(),
        nameof(W7OrtForward) => TrainBatch * Flops.ResNet18(),
        nameof(W7Strider) => 3 * TrainBatch * Flops.ResNet18(),
        _ => 0,
    };

    [Benchmark(Description = "W5 ResNet-18 b1 224x224, ORT", Baseline = true), BenchmarkCategory("W5")]
    public void W5Ort() => _ortResNet.Run();

    [Benchmark(Description = "W5 ResNet-18 b1 224x224, Strider"), BenchmarkCategory("W5")]
    public void W5Strider() => _resnet.Forward(_image);

    [Benchmark(Description = "W6 MobileNetV2 b1 224x224, ORT", Baseline = true), BenchmarkCategory("W6")]
    public void W6Ort() => _ortMobileNet.Run();

    [Benchmark(Description = "W6 MobileNetV2 b1 224x224, Strider"), BenchmarkCategory("W6")]
    public void W6Strider() => _mobilenet.Forward(_image);

    [Benchmark(Description = "W7 ResNet-18 forward b8, ORT", Baseline = true), BenchmarkCategory("W7")]
    public void W7OrtForward() => _ortResNetBatch.Run();

    [Benchmark(Description = "W7 ResNet-18 train step b8, Strider"), BenchmarkCategory("W7")]
    public float W7Strider()
    {
        var y = _resnetTrain.Forward(_batch);
        float loss = Losses.SoftmaxCrossEntropy(y, _labels, _logitsGrad);
        _resnetTrain.ZeroGrad();
        _resnetTrain.BackwardParameters(_logitsGrad);
        _sgd.Step();
        return loss;
    }

    /// <summary>Largest difference between Strider's and ONNX Runtime's outputs relative to the largest output, per built workload (NaN when not built).</summary>
    public (double W5, double W6, double W7) Agreement()
    {
        static double MaxRel(float[] a, float[] b)
        {
            double scale = Math.Max(1e-6, b.Max(Math.Abs)), worst = 0;
            for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]) / scale);
            return worst;
        }
        double w5 = double.NaN, w6 = double.NaN, w7 = double.NaN;
        if (_ortResNet is not null)
        {
            W5Ort();
            w5 = MaxRel(_resnet.Forward(_image).ToArray(), _ortResNet.Output);
        }
        if (_ortMobileNet is not null)
        {
            W6Ort();
            w6 = MaxRel(_mobilenet.Forward(_image).ToArray(), _ortMobileNet.Output);
        }
        if (_ortResNetBatch is not null)
        {
            W7OrtForward();
            w7 = MaxRel(_resnet.Forward(_batch).ToArray(), _ortResNetBatch.Output);
        }
        return (w5, w6, w7);
    }
}

/// <summary>
/// GFLOP/s of each row: forward FLOPs over the mean time for W5, W6 and W7's ORT forward of 8 images, and 3 x the
/// forward FLOPs of 8 images for the W7 training step (training costs about three forwards).
/// </summary>
public sealed class TorchvisionWorkloadConfig : ManualConfig
{
    public TorchvisionWorkloadConfig() => AddColumn(new GflopsColumn(TorchvisionWorkloads.FlopsOf,
        "forward FLOPs / mean time (W7 step: 3 x forward FLOPs of the batch)"));
}

