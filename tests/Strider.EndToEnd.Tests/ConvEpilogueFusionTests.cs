using Strider.Devices;

namespace Strider.EndToEnd.Tests;

/// <summary>
/// Inference Forward runs a conv (with its folded BatchNorm) and the residual Add and activation after it as one
/// ConvForward with a <see cref="ConvEpilogue"/>. Checked three ways: the fused calls against the same generated code
/// on a device that runs each epilogue as separate ops (bit for bit: the add and the clamps are exact); against the
/// net evaluated op by op from its parameters with each BatchNorm a pass of its own (within the fold's rounding); and
/// the ops each Forward ran, so a fusion that did not happen, or one that should not have, shows.
/// </summary>
public sealed class ConvEpilogueFusionTests
{
    private const double Tolerance = 1e-5;

    private static float[] Random(long count, int seed, float low = -1f, float high = 1f)
    {
        var random = new System.Random(seed);
        var values = new float[count];
        for (long i = 0; i < count; i++) values[i] = low + (float)random.NextDouble() * (high - low);
        return values;
    }

    /// <summary>Within <see cref="Tolerance"/> of max(|expected|, rms); NaN exactly where expected has it.</summary>
    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double sq = 0;
        foreach (float v in expected) if (float.IsFinite(v)) sq += (double)v * v;
        double rms = System.Math.Sqrt(sq / System.Math.Max(1, expected.Length));
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsNaN(expected[i]) || float.IsNaN(actual[i]))
            {
                Assert.True(float.IsNaN(expected[i]) && float.IsNaN(actual[i]), $"{what}: value {i} is {actual[i]:R}, op by op {expected[i]:R}.");
                continue;
            }
            double scale = System.Math.Max(System.Math.Abs(expected[i]), rms);
            if (!(System.Math.Abs(actual[i] - expected[i]) <= Tolerance * scale))
                Assert.Fail($"{what}: value {i} of {expected.Length} is {actual[i]:R}, op by op {expected[i]:R} (rms {rms:G3}).");
        }
    }

    private static void AssertBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}: value {i} is {actual[i]:R} fused, {expected[i]:R} as separate ops.");
    }

    /// <summary>
    /// Shifts the 1-D parameters and moves the running statistics off (0, 1) with training passes, so every term of the
    /// fold and every clamp matters; then copies everything to <paramref name="twin"/> and puts both in inference mode.
    /// </summary>
    private static void Prepare<TIn>(INetwork net, INetwork twin, Action<Tensor<TIn>> forward, int itemSize, int seed) where TIn : IShape
    {
        for (int p = 0; p < net.Parameters.Count; p++)
        {
            var parameter = net.Parameters[p];
            var values = parameter.Value.ToArray();
            var shift = Random(values.Length, seed + p, -0.3f, 0.3f);
            for (int i = 0; i < values.Length; i++) values[i] = parameter.Shape.Length == 1 ? values[i] + shift[i] : values[i] * 1.5f;
            parameter.Value.Upload(values);
        }
        net.Training = true;
        for (int step = 0; step < 3; step++)
        {
            using var x = Tensor<TIn>.From(net.Device, Random(3 * itemSize, seed + 100 + step, -1f, 2f));
            forward(x);
        }
        net.Training = false;
        for (int p = 0; p < net.Parameters.Count; p++) twin.Parameters[p].Value.Upload(net.Parameters[p].Value.ToArray());
        for (int b = 0; b < net.Buffers.Count; b++) twin.Buffers[b].Value.Upload(net.Buffers[b].Value.ToArray());
        twin.Training = false;
    }

    /// <summary>A fused device and one that composes each epilogue from separate ops, with the op names the fused one ran.</summary>
    private sealed class Devices : IDisposable
    {
        public TestDevice Fused { get; } = new();

        public TestDevice Composed { get; } = new() { ComposeEpilogues = true };

        public List<string> Ops { get; } = new();

        public Devices() => Fused.BeforeOp = Ops.Add;

        public int Count(string op) => Ops.Count(o => o == op);

        public void Dispose()
        {
            Fused.Dispose();
            Composed.Dispose();
        }
    }

    /// <summary>A net evaluated op by op from its own parameters, found by layer name: each BatchNorm its own pass.</summary>
    private sealed class OpByOp(INetwork net, int n)
    {
        private readonly Device _d = net.Device;

        public readonly record struct Act(DeviceBuffer<float> Buffer, int C, int H, int W)
        {
            public long Count(int n) => (long)n * C * H * W;
        }

        public Act Input(float[] data, int c, int h, int w)
        {
            var x = _d.Allocate<float>(data.Length);
            x.Upload(data);
            return new Act(x, c, h, w);
        }

        private DeviceBuffer<float> Value(string name) => net.Parameters.Single(p => p.Name == name).Value;

        private DeviceBuffer<float> State(string name) => net.Buffers.Single(b => b.Name == name).Value;

        public Act Conv(Act x, string name, int k, int kernel, int stride = 1, int pad = 0, int groups = 1)
        {
            int ho = (x.H + 2 * pad - kernel) / stride + 1, wo = (x.W + 2 * pad - kernel) / stride + 1;
            var bias = net.Parameters.SingleOrDefault(p => p.Name == name + ".bias")?.Value;
            var y = _d.Allocate<float>((long)n * k * ho * wo);
            _d.ConvForward(new ConvGeometry(x.C, x.H, x.W, k, ho, wo, kernel, kernel, stride, stride, pad, pad, 1, 1, groups), n, x.Buffer, Value(name + ".weight"), bias, y);
            return new Act(y, k, ho, wo);
        }

        /// <summary>A transposed conv (ConvBackwardData of the conv from its output to its input), then its bias.</summary>
        public Act Deconv(Act x, string name, int k, int kernel, int stride = 1, int pad = 0)
        {
            int ho = (x.H - 1) * stride - 2 * pad + kernel, wo = (x.W - 1) * stride - 2 * pad + kernel;
            var bias = net.Parameters.SingleOrDefault(p => p.Name == name + ".bias")?.Value;
            var y = _d.Allocate<float>((long)n * k * ho * wo);
            _d.ConvBackwardData(new ConvGeometry(k, ho, wo, x.C, x.H, x.W, kernel, kernel, stride, stride, pad, pad, 1, 1, 1), n, x.Buffer, Value(name + ".weight"), y, false);
            if (bias is not null) _d.AddBias(n, k, ho * wo, bias, y);
            return new Act(y, k, ho, wo);
        }

        public Act Norm(Act x, string name)
        {
            var y = _d.Allocate<float>(x.Count(n));
            _d.BatchNormForwardInference(n, x.C, x.H * x.W, x.Buffer, Value(name + ".weight"), Value(name + ".bias"),
                State(name + ".running_mean"), State(name + ".running_var"), 1e-5f, y);
            return x with { Buffer = y };
        }

        public Act Apply(Act x, Activation f, float p0 = 0, float p1 = 0)
        {
            var y = _d.Allocate<float>(x.Count(n));
            _d.ActivationForward(f, x.Count(n), x.Buffer, y, p0, p1);
            return x with { Buffer = y };
        }

        public Act Add(Act a, Act b)
        {
            var y = _d.Allocate<float>(a.Count(n));
            _d.Add(a.Count(n), a.Buffer, b.Buffer, y);
            return a with { Buffer = y };
        }
    }

    [Fact]
    public void A_basic_block_is_two_conv_calls_equal_to_the_separate_ops_and_to_the_op_by_op_net()
    {
        using var devices = new Devices();
        using var net = new FusedBasicBlock(devices.Fused, 1);
        using var twin = new FusedBasicBlock(devices.Composed, 1);
        Prepare<S4x10x10>(net, twin, t => net.Forward(t), 4 * 10 * 10, 10);
        var data = Random(2 * 4 * 10 * 10, 11);
        using var x = Tensor<S4x10x10>.From(net.Device, data);
        using var tx = Tensor<S4x10x10>.From(twin.Device, data);
        devices.Ops.Clear();
        var fused = net.Forward(x).ToArray();
        // conv1 -> bn1 -> Relu and conv2 -> bn2 -> Add(input) -> Relu: two calls, no Add or activation pass.
        Assert.Equal(2, devices.Count("ConvForward with epilogue"));
        Assert.Equal(0, devices.Count(nameof(Device.Add)) + devices.Count(nameof(Device.ActivationForward)) + devices.Count("ConvForward"));
        AssertBits(twin.Forward(tx).ToArray(), fused, "FusedBasicBlock");

        var u = new OpByOp(net, 2);
        var input = u.Input(data, 4, 10, 10);
        var y = u.Apply(u.Norm(u.Conv(input, "conv1", 4, 3, pad: 1), "bn1"), Activation.Relu);
        y = u.Apply(u.Add(input, u.Norm(u.Conv(y, "conv2", 4, 3, pad: 1), "bn2")), Activation.Relu);
        AssertClose(y.Buffer.ToArray(), fused, "FusedBasicBlock against the op-by-op net");
    }

    [Fact]
    public void The_shortcut_conv_declared_last_carries_the_Add_with_the_main_path_as_its_residual()
    {
        using var devices = new Devices();
        using var net = new FusedDownBlock(devices.Fused, 2);
        using var twin = new FusedDownBlock(devices.Composed, 2);
        Prepare<S4x10x10>(net, twin, t => net.Forward(t), 4 * 10 * 10, 20);
        var data = Random(3 * 4 * 10 * 10, 21);
        using var x = Tensor<S4x10x10>.From(net.Device, data);
        using var tx = Tensor<S4x10x10>.From(twin.Device, data);
        devices.Ops.Clear();
        var fused = net.Forward(x).ToArray();
        // conv1 + Relu and down + Add(bn2) + Relu fused; conv2's only reader is the Add, whose other operand comes later.
        Assert.Equal(new[] { "ConvForward with epilogue", "ConvForward", "ConvForward with epilogue" }, devices.Ops.Where(o => o.StartsWith("Conv", StringComparison.Ordinal) || o is "Add" or "ActivationForward"));
        AssertBits(twin.Forward(tx).ToArray(), fused, "FusedDownBlock");

        var u = new OpByOp(net, 3);
        var input = u.Input(data, 4, 10, 10);
        var main = u.Apply(u.Norm(u.Conv(input, "conv1", 8, 3, stride: 2, pad: 1), "bn1"), Activation.Relu);
        main = u.Norm(u.Conv(main, "conv2", 8, 3, pad: 1), "bn2");
        var shortcut = u.Norm(u.Conv(input, "down", 8, 1, stride: 2), "downBn");
        AssertClose(u.Apply(u.Add(main, shortcut), Activation.Relu).Buffer.ToArray(), fused, "FusedDownBlock against the op-by-op net");
    }

    [Fact]
    public void An_inverted_residual_fuses_Relu6_after_the_expand_and_depthwise_convs_and_the_Add_after_the_projection()
    {
        using var devices = new Devices();
        using var net = new FusedInvertedResidual(devices.Fused, 3);
        using var twin = new FusedInvertedResidual(devices.Composed, 3);
        Prepare<S4x9x9>(net, twin, t => net.Forward(t), 4 * 9 * 9, 30);
        // Values up to 4 so that Relu6 clamps at 6 as well as at 0.
        var data = Random(2 * 4 * 9 * 9, 31, -4f, 4f);
        using var x = Tensor<S4x9x9>.From(net.Device, data);
        using var tx = Tensor<S4x9x9>.From(twin.Device, data);
        devices.Ops.Clear();
        var fused = net.Forward(x).ToArray();
        Assert.Equal(3, devices.Count("ConvForward with epilogue"));
        Assert.Equal(0, devices.Count(nameof(Device.Add)) + devices.Count(nameof(Device.ActivationForward)));
        AssertBits(twin.Forward(tx).ToArray(), fused, "FusedInvertedResidual");

        var u = new OpByOp(net, 2);
        var input = u.Input(data, 4, 9, 9);
        var y = u.Apply(u.Norm(u.Conv(input, "expand", 16, 1), "bn1"), Activation.Relu6);
        y = u.Apply(u.Norm(u.Conv(y, "dw", 16, 3, pad: 1, groups: 16), "bn2"), Activation.Relu6);
        var expected = u.Add(u.Norm(u.Conv(y, "project", 4, 1), "bn3"), input).Buffer.ToArray();
        AssertClose(expected, fused, "FusedInvertedResidual against the op-by-op net");
        var clamped = u.Apply(u.Norm(u.Conv(input, "expand", 16, 1), "bn1"), Activation.Relu6).Buffer.ToArray();
        Assert.Contains(6f, clamped);
    }

    [Fact]
    public void Expansions_and_their_depthwise_convs_run_as_one_call_with_the_two_convs_bits()
    {
        using var devices = new Devices();
        using var net = new FusedExpandDepthwiseBlocks(devices.Fused, 3);
        using var twin = new FusedExpandDepthwiseBlocks(devices.Composed, 3);
        const int item = 4 * 37 * 35;
        Prepare<S4x37x35>(net, twin, t => net.Forward(t), item, 70);
        var data = Random(2 * item, 71, -4f, 4f);
        using var x = Tensor<S4x37x35>.From(net.Device, data);
        using var tx = Tensor<S4x37x35>.From(twin.Device, data);
        devices.Ops.Clear();
        var fused = net.Forward(x).ToArray();
        Assert.Equal(new[] { "ConvForwardExpandDepthwise", "ConvForward with epilogue", "ConvForwardExpandDepthwise", "ConvForward" },
            devices.Ops.Where(o => o.StartsWith("Conv", StringComparison.Ordinal) || o is "Add" or "ActivationForward"));
        // The composing device runs each pair as the two convs, each epilogue as its separate ops.
        AssertBits(twin.Forward(tx).ToArray(), fused, "FusedExpandDepthwiseBlocks");

        var u = new OpByOp(net, 2);
        var input = u.Input(data, 4, 37, 35);
        var y = u.Apply(u.Norm(u.Conv(input, "expand", 24, 1), "bn1"), Activation.Relu6);
        y = u.Apply(u.Norm(u.Conv(y, "dw", 24, 3, pad: 1, groups: 24), "bn2"), Activation.Relu6);
        y = u.Add(u.Norm(u.Conv(y, "project", 4, 1), "bn3"), input);
        y = u.Apply(u.Norm(u.Conv(y, "expand2", 20, 1), "bn4"), Activation.Relu6);
        y = u.Apply(u.Norm(u.Conv(y, "dw2", 20, 3, stride: 2, pad: 1, groups: 20), "bn5"), Activation.Relu6);
        AssertClose(u.Norm(u.Conv(y, "project2", 6, 1), "bn6").Buffer.ToArray(), fused, "FusedExpandDepthwiseBlocks against the op-by-op net");

        // Training keeps the two convs (Backward reads the expanded activations).
        net.Training = true;
        devices.Ops.Clear();
        net.Forward(x);
        Assert.Equal(0, devices.Count("ConvForwardExpandDepthwise"));
    }

    [Fact]
    public void The_zoo_MobileNetV2_at_64x64_keeps_every_expansion_and_depthwise_conv_apart_at_inference()
    {
        // features.2's 16 -> 96 expansion at 32x32 feeds a depthwise output of 16x16, which the depthwise conv's flat path
        // runs (ConvolutionAlgorithm.MinExpandDepthwiseOutputs); the later planes are below MinExpandDepthwisePositions.
        using var devices = new Devices();
        using var net = new Strider.Samples.Zoo.MobileNetV2At64(devices.Fused, 1);
        net.Training = false;
        devices.Ops.Clear();
        ForwardOnce(net, Random(3 * 64 * 64, 80));
        Assert.Equal(0, devices.Count("ConvForwardExpandDepthwise"));
        Assert.Equal(52, devices.Count("ConvForward with epilogue") + devices.Count("ConvForward"));
    }

    private static void ForwardOnce<TIn, TOut>(INetwork<TIn, TOut> net, float[] data) where TIn : IShape where TOut : IShape
    {
        using var x = Tensor<TIn>.From(net.Device, data);
        net.Forward(x);
    }

    [Fact]
    public void A_conv_without_a_norm_fuses_its_bias_HardTanh_and_LeakyRelu()
    {
        using var devices = new Devices();
        using var net = new FusedNoFold(devices.Fused, 4);
        using var twin = new FusedNoFold(devices.Composed, 4);
        Prepare<S3x8x8>(net, twin, t => net.Forward(t), 3 * 8 * 8, 40);
        var data = Random(2 * 3 * 8 * 8, 41);
        using var x = Tensor<S3x8x8>.From(net.Device, data);
        using var tx = Tensor<S3x8x8>.From(twin.Device, data);
        devices.Ops.Clear();
        var fused = net.Forward(x).ToArray();
        Assert.Equal(2, devices.Count("ConvForward with epilogue"));
        AssertBits(twin.Forward(tx).ToArray(), fused, "FusedNoFold");

        var u = new OpByOp(net, 2);
        var y = u.Apply(u.Conv(u.Input(data, 3, 8, 8), "c1", 5, 3, pad: 1), Activation.HardTanh, -0.5f, 0.25f);
        y = u.Norm(u.Apply(u.Conv(y, "c2", 5, 3, pad: 1), Activation.LeakyRelu, 0.2f), "bn");
        AssertClose(y.Buffer.ToArray(), fused, "FusedNoFold against the op-by-op net");
    }

    [Fact]
    public void Deconvs_apply_their_bias_activation_and_residual_as_they_store_their_output()
    {
        using var devices = new Devices();
        using var net = new FusedDeconvs(devices.Fused, 7);
        using var twin = new FusedDeconvs(devices.Composed, 7);
        Prepare<S4x6x6>(net, twin, t => net.Forward(t), 4 * 6 * 6, 70);
        var data = Random(2 * 4 * 6 * 6, 71, -1f, 2f);
        using var x = Tensor<S4x6x6>.From(net.Device, data);
        using var tx = Tensor<S4x6x6>.From(twin.Device, data);
        devices.Ops.Clear();
        var fused = net.Forward(x).ToArray();
        // up1 (folded bn1) + Relu, up2 + bias + SoftSign, up3 (folded bn3) + Add(soft): three calls, no bias, add or activation pass.
        Assert.Equal(new[] { "ConvBackwardData with epilogue", "ConvBackwardData with epilogue", "ConvBackwardData with epilogue" },
            devices.Ops.Where(o => o.StartsWith("Conv", StringComparison.Ordinal) || o is "Add" or "ActivationForward" or "AddBias"));
        AssertBits(twin.Forward(tx).ToArray(), fused, "FusedDeconvs");

        var u = new OpByOp(net, 2);
        var y = u.Apply(u.Norm(u.Deconv(u.Input(data, 4, 6, 6), "up1", 9, 5, stride: 2), "bn1"), Activation.Relu);
        var soft = u.Apply(u.Deconv(y, "up2", 8, 3, stride: 2), Activation.SoftSign);
        var add = u.Add(soft, u.Norm(u.Deconv(soft, "up3", 8, 3, pad: 1), "bn3"));
        AssertClose(add.Buffer.ToArray(), fused, "FusedDeconvs against the op-by-op net");
    }

    [Fact]
    public void NaN_in_the_input_and_the_residual_comes_out_where_the_separate_ops_put_it()
    {
        using var devices = new Devices();
        using var net = new FusedBasicBlock(devices.Fused, 5);
        using var twin = new FusedBasicBlock(devices.Composed, 5);
        Prepare<S4x10x10>(net, twin, t => net.Forward(t), 4 * 10 * 10, 50);
        var data = Random(2 * 4 * 10 * 10, 51);
        // Image 1, channel 2, position (3, 4): the residual there is NaN, and conv1 spreads it to its 3x3 neighbourhood.
        int at = 400 + 2 * 100 + 3 * 10 + 4;
        data[at] = float.NaN;
        using var x = Tensor<S4x10x10>.From(net.Device, data);
        using var tx = Tensor<S4x10x10>.From(twin.Device, data);
        var fused = net.Forward(x).ToArray();
        Assert.True(float.IsNaN(fused[at]), $"Relu(NaN + ...) gave {fused[at]:R}; PyTorch gives NaN.");
        Assert.False(float.IsNaN(fused[0]), "Image 0 has no NaN.");
        AssertBits(twin.Forward(tx).ToArray(), fused, "FusedBasicBlock with a NaN");
    }

    [Fact]
    public void Values_read_twice_or_returned_are_not_fused()
    {
        using var devices = new Devices();
        using var net = new UnfusableReads(devices.Fused, 6);
        using var twin = new UnfusableReads(devices.Composed, 6);
        Prepare<S4x6x6>(net, twin, t => net.Forward(t), 4 * 6 * 6, 60);
        var data = Random(2 * 4 * 6 * 6, 61);
        using var x = Tensor<S4x6x6>.From(net.Device, data);
        using var tx = Tensor<S4x6x6>.From(twin.Device, data);
        devices.Ops.Clear();
        var fused = net.Forward(x);
        // conv1 + Relu, conv4 + Add; conv2 (bn2 read twice) and conv3 (bn3 returned) plain; side, relu3 and last, and 'twice', on their own.
        Assert.Equal(new[] { "ConvForward with epilogue", "ConvForward", "ActivationForward", "Add", "ConvForward", "ActivationForward", "ConvForward with epilogue", "ActivationForward" },
            devices.Ops.Where(o => o.StartsWith("Conv", StringComparison.Ordinal) || o is "Add" or "ActivationForward"));
        var composed = twin.Forward(tx);
        AssertBits(composed.Bn3.ToArray(), fused.Bn3.ToArray(), "bn3");
        AssertBits(composed.Add.ToArray(), fused.Add.ToArray(), "add");
        AssertBits(composed.Last.ToArray(), fused.Last.ToArray(), "last");

        var u = new OpByOp(net, 2);
        var relu1 = u.Apply(u.Norm(u.Conv(u.Input(data, 4, 6, 6), "conv1", 4, 3, pad: 1), "bn1"), Activation.Relu);
        var bn2 = u.Norm(u.Conv(relu1, "conv2", 4, 3, pad: 1), "bn2");
        var side = u.Apply(bn2, Activation.Relu);
        var twice = u.Add(relu1, bn2);
        var bn3 = u.Norm(u.Conv(side, "conv3", 4, 3, pad: 1), "bn3");
        var add = u.Add(u.Norm(u.Conv(u.Apply(bn3, Activation.Relu), "conv4", 4, 3, pad: 1), "bn4"), twice);
        AssertClose(bn3.Buffer.ToArray(), fused.Bn3.ToArray(), "bn3 against the op-by-op net");
        AssertClose(add.Buffer.ToArray(), fused.Add.ToArray(), "add against the op-by-op net");
        AssertClose(u.Apply(add, Activation.Relu).Buffer.ToArray(), fused.Last.ToArray(), "last against the op-by-op net");
    }
}
