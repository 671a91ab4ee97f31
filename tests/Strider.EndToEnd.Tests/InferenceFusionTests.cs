using Strider.Devices;

namespace Strider.EndToEnd.Tests;

/// <summary>
/// Inference Forward and ForwardDense fold each BatchNorm into the conv before it and let Dropout reuse its input's
/// buffer. Checked against the same nets evaluated op by op, unfused (what the emitter wrote before), and Backward after
/// an inference Forward against a net without dropout.
/// </summary>
public sealed class InferenceFusionTests
{
    /// <summary>
    /// Relative to max(|expected|, rms of expected): the fold reorders float roundings (w·s summed, rather than the sum
    /// scaled), a few ulps of the conv's terms, far below 1e-5 of the output's scale; a wrong channel or layout is O(1).
    /// </summary>
    private const double Tolerance = 1e-5;

    private static float[] Random(long count, int seed, float low = -1f, float high = 1f)
    {
        var random = new System.Random(seed);
        var values = new float[count];
        for (long i = 0; i < count; i++) values[i] = low + (float)random.NextDouble() * (high - low);
        return values;
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double sq = 0;
        foreach (float v in expected) sq += (double)v * v;
        double rms = System.Math.Sqrt(sq / System.Math.Max(1, expected.Length));
        for (int i = 0; i < expected.Length; i++)
        {
            double scale = System.Math.Max(System.Math.Abs(expected[i]), rms);
            if (!(System.Math.Abs(actual[i] - expected[i]) <= Tolerance * scale))
                Assert.Fail($"{what}: value {i} of {expected.Length} is {actual[i]:R}, unfused {expected[i]:R} (rms {rms:G3}).");
        }
    }

    /// <summary>
    /// Moves every BatchNorm's running statistics off (0, 1) with training passes and shifts the 1-D parameters (biases,
    /// gamma, beta), so every term of the fold matters; then inference mode.
    /// </summary>
    private static void Prepare<TIn, TOut>(INetwork<TIn, TOut> net, int itemSize, int seed, params int[] freeDims) where TIn : IShape where TOut : IShape
    {
        for (int p = 0; p < net.Parameters.Count; p++)
        {
            var parameter = net.Parameters[p];
            if (parameter.Shape.Length != 1) continue;
            var values = parameter.Value.ToArray();
            var shift = Random(values.Length, seed + p, -0.3f, 0.3f);
            for (int i = 0; i < values.Length; i++) values[i] += shift[i];
            parameter.Value.Upload(values);
        }
        net.Training = true;
        for (int step = 0; step < 3; step++)
        {
            using var x = Tensor<TIn>.From(net.Device, Random(3 * itemSize, seed + 100 + step, -1f, 2f), freeDims);
            net.Forward(x);
        }
        net.Training = false;
    }

    /// <summary>An activation of the unfused evaluation: buffer and C x H x W per item.</summary>
    private readonly record struct Act(DeviceBuffer<float> Buffer, int C, int H, int W)
    {
        public int Inner => H * W;
    }

    /// <summary>
    /// Evaluates a net op by op on its device with its own parameters, in declaration order: each BatchNorm a pass of its
    /// own with the running statistics, Dropout skipped (at inference it is the identity; the old code copied).
    /// </summary>
    private sealed class Unfused(INetwork net, int n)
    {
        private readonly Device _d = net.Device;
        private int _p, _b;

        private Parameter Next(string suffix, int[] shape)
        {
            var p = net.Parameters[_p++];
            Assert.EndsWith(suffix, p.Name);
            Assert.Equal(shape, p.Shape);
            return p;
        }

        private DeviceBuffer<float> New(int c, int h, int w) => _d.Allocate<float>((long)n * c * h * w);

        public Act Input(float[] data, int c, int h, int w)
        {
            var x = New(c, h, w);
            x.Upload(data);
            return new Act(x, c, h, w);
        }

        public Act Conv(Act x, int k, int kernel, int stride = 1, int dilation = 1, int pad = 0, bool bias = true)
        {
            int ho = (x.H + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1, wo = (x.W + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
            var w = Next(".weight", [k, x.C, kernel, kernel]);
            var b = bias ? Next(".bias", [k]) : null;
            var y = New(k, ho, wo);
            _d.ConvForward(new ConvGeometry(x.C, x.H, x.W, k, ho, wo, kernel, kernel, stride, stride, pad, pad, dilation, dilation), n, x.Buffer, w.Value, b?.Value, y);
            return new Act(y, k, ho, wo);
        }

        public Act Deconv(Act x, int k, int kernel, int stride, bool bias = true)
        {
            int ho = (x.H - 1) * stride + kernel, wo = (x.W - 1) * stride + kernel;
            var w = Next(".weight", [x.C, k, kernel, kernel]);
            var b = bias ? Next(".bias", [k]) : null;
            var y = New(k, ho, wo);
            _d.ConvBackwardData(new ConvGeometry(k, ho, wo, x.C, x.H, x.W, kernel, kernel, stride, stride, 0, 0, 1, 1), n, x.Buffer, w.Value, y, false);
            if (b is not null) _d.AddBias(n, k, ho * wo, b.Value, y);
            return new Act(y, k, ho, wo);
        }

        public Act BatchNorm(Act x)
        {
            var gamma = Next(".weight", [x.C]);
            var beta = Next(".bias", [x.C]);
            var mean = net.Buffers[_b++];
            var variance = net.Buffers[_b++];
            Assert.EndsWith(".running_mean", mean.Name);
            Assert.EndsWith(".running_var", variance.Name);
            var y = New(x.C, x.H, x.W);
            _d.BatchNormForwardInference(n, x.C, x.Inner, x.Buffer, gamma.Value, beta.Value, mean.Value, variance.Value, 1e-5f, y);
            return x with { Buffer = y };
        }

        public Act Apply(Act x, Activation f, float p0 = 0)
        {
            var y = New(x.C, x.H, x.W);
            _d.ActivationForward(f, (long)n * x.C * x.Inner, x.Buffer, y, p0);
            return x with { Buffer = y };
        }

        public Act Add(Act a, Act b)
        {
            var y = New(a.C, a.H, a.W);
            _d.Add((long)n * a.C * a.Inner, a.Buffer, b.Buffer, y);
            return a with { Buffer = y };
        }

        /// <summary>The values, after checking every parameter and buffer was used.</summary>
        public float[] Result(Act y)
        {
            Assert.Equal(net.Parameters.Count, _p);
            Assert.Equal(net.Buffers.Count, _b);
            return y.Buffer.ToArray();
        }
    }

    [Fact]
    public void Conv_norm_relu_dropout_conv_matches_the_unfused_ops()
    {
        using var net = new ConvNormDrop(Device.Default, 1);
        Prepare(net, 2 * 9 * 9, 10);
        var data = Random(3 * 2 * 9 * 9, 11);
        using var x = Tensor<S2x9x9>.From(net.Device, data);
        var actual = net.Forward(x).ToArray();
        var u = new Unfused(net, 3);
        var y = u.Conv(u.Input(data, 2, 9, 9), 4, 3);
        y = u.Apply(u.BatchNorm(y), Activation.Relu);
        AssertClose(u.Result(u.Conv(y, 3, 3)), actual, "ConvNormDrop");
    }

    [Fact]
    public void Convs_without_bias_fold_a_bias_in_and_the_last_norm_is_the_output()
    {
        using var net = new ConvNormNoBias(Device.Default, 2);
        Prepare(net, 2 * 9 * 9, 20);
        var data = Random(2 * 2 * 9 * 9, 21);
        using var x = Tensor<S2x9x9>.From(net.Device, data);
        var actual = net.Forward(x).ToArray();
        var u = new Unfused(net, 2);
        var y = u.Apply(u.BatchNorm(u.Conv(u.Input(data, 2, 9, 9), 4, 3, bias: false)), Activation.Relu);
        AssertClose(u.Result(u.BatchNorm(u.Conv(y, 3, 3, bias: false))), actual, "ConvNormNoBias");
    }

    [Fact]
    public void Deconvs_fold_along_their_output_channels()
    {
        using var net = new DeconvNorm(Device.Default, 3);
        Prepare(net, 3 * 4 * 5, 30);
        var data = Random(2 * 3 * 4 * 5, 31);
        using var x = Tensor<S3x4x5>.From(net.Device, data);
        var actual = net.Forward(x).ToArray();
        var u = new Unfused(net, 2);
        var y = u.Apply(u.BatchNorm(u.Deconv(u.Input(data, 3, 4, 5), 4, 3, 2)), Activation.Relu);
        AssertClose(u.Result(u.BatchNorm(u.Deconv(y, 2, 3, 1, bias: false))), actual, "DeconvNorm");
    }

    [Fact]
    public void A_conv_read_elsewhere_too_keeps_its_norm_pass()
    {
        using var net = new SharedConvNorm(Device.Default, 4);
        Prepare(net, 2 * 6 * 6, 40);
        var data = Random(2 * 2 * 6 * 6, 41);
        using var x = Tensor<S2x6x6>.From(net.Device, data);
        var actual = net.Forward(x).ToArray();
        var u = new Unfused(net, 2);
        var c = u.Conv(u.Input(data, 2, 6, 6), 3, 3, pad: 1);
        AssertClose(u.Result(u.Add(c, u.BatchNorm(c))), actual, "SharedConvNorm");
    }

    [Fact]
    public void SmallDdae_inference_matches_the_unfused_ops()
    {
        using var net = new SmallDdae(Device.Default, 5);
        Prepare(net, 61 * 61, 50, 61, 61);
        var data = Random(2 * 61 * 61, 51, 0f, 1f);
        using var x = Tensor<S1xAnyxAny>.From(net.Device, data, 61, 61);
        var actual = net.Forward(x).ToArray();
        var u = new Unfused(net, 2);
        Act Block(Act a, int k, bool deconv) => u.Apply(u.BatchNorm(deconv ? u.Deconv(a, k, 5, 2) : u.Conv(a, k, 5, 2)), Activation.Elu, 1f);
        var noisy = u.Input(data, 1, 61, 61);
        var c12 = Block(Block(noisy, 3, false), 3, false);
        var mid = Block(Block(c12, 4, false), 4, false);
        var d12 = Block(Block(mid, 4, true), 3, true);
        var up = Block(u.Add(c12, d12), 3, true);
        var d34 = u.Apply(u.BatchNorm(u.Deconv(up, 1, 5, 2)), Activation.SoftSign);
        AssertClose(u.Result(u.Add(noisy, d34)), actual, "SmallDdae");
    }

    [Fact]
    public void ForwardDense_folds_with_dilated_geometry()
    {
        using var net = new DenseConvNorm(Device.Default, 6);
        Prepare(net, 2 * 11 * 13, 60, 11, 13);
        var data = Random(2 * 2 * 11 * 13, 61);
        using var x = Tensor<S2xAnyxAny>.From(net.Device, data, 11, 13);

        var strided = net.Forward(x).ToArray();
        var u = new Unfused(net, 2);
        var y = u.Apply(u.BatchNorm(u.Conv(u.Input(data, 2, 11, 13), 4, 3, stride: 2)), Activation.Relu);
        AssertClose(u.Result(u.Apply(u.BatchNorm(u.Conv(y, 3, 3)), Activation.Tanh)), strided, "DenseConvNorm Forward");

        var dense = net.ForwardDense(x);
        Assert.Equal(new[] { 3, 5, 7 }, dense.Dims.ToArray());
        u = new Unfused(net, 2);
        y = u.Apply(u.BatchNorm(u.Conv(u.Input(data, 2, 11, 13), 4, 3)), Activation.Relu);
        AssertClose(u.Result(u.Apply(u.BatchNorm(u.Conv(y, 3, 3, dilation: 2)), Activation.Tanh)), dense.ToArray(), "DenseConvNorm ForwardDense");
    }

    [Fact]
    public void Training_after_inference_is_unchanged()
    {
        // Inference between two training steps changes neither the running statistics nor the dropout masks.
        using var a = new ConvNormDrop(Device.Default, 7);
        using var b = new ConvNormDrop(Device.Default, 7);
        using var x = Tensor<S2x9x9>.From(Device.Default, Random(2 * 2 * 9 * 9, 70));
        a.Forward(x);
        b.Forward(x);
        a.Training = false;
        a.Forward(x);
        a.Training = true;
        var afterInference = a.Forward(x).ToArray();
        Assert.Equal(b.Forward(x).ToArray(), afterInference);
        for (int i = 0; i < a.Buffers.Count; i++) Assert.Equal(b.Buffers[i].Value.ToArray(), a.Buffers[i].Value.ToArray());
    }

    [Fact]
    public void A_net_without_a_norm_fuses_a_Relu_into_its_conv_and_goes_back_through_the_Relu_by_its_output()
    {
        // The fused pass leaves c1's own output unwritten in both modes: a Backward that read it for the Relu's mask
        // (as the separate ActivationBackward did) would give other gradients than the unfused twin.
        using var net = new NormFreeRelu(Device.Default, 10);
        using var twin = new NormFreeLeaky(Device.Default, 11);
        for (int i = 0; i < net.Parameters.Count; i++) twin.Parameters[i].Value.Upload(net.Parameters[i].Value.ToArray());
        using var x = Tensor<S2x8x8>.From(Device.Default, Random(2 * 2 * 8 * 8, 82));
        using var dy = Tensor<S2x4x4>.From(Device.Default, Random(2 * 2 * 4 * 4, 83));
        foreach (bool training in new[] { false, true })
        {
            net.Training = twin.Training = training;
            Assert.Equal(twin.Forward(x).ToArray(), net.Forward(x).ToArray());
            net.ZeroGrad();
            twin.ZeroGrad();
            Assert.Equal(twin.Backward(dy).ToArray(), net.Backward(dy).ToArray());
            for (int i = 0; i < net.Parameters.Count; i++)
                Assert.Equal(twin.Parameters[i].Gradient.ToArray(), net.Parameters[i].Gradient.ToArray());
        }
    }

    [Fact]
    public void Backward_after_an_inference_forward_reads_the_buffers_forward_used()
    {
        using var net = new DropoutEverywhere(Device.Default, 8);
        using var plain = new DropoutFree(Device.Default, 9);
        for (int i = 0; i < net.Parameters.Count; i++) plain.Parameters[i].Value.Upload(net.Parameters[i].Value.ToArray());
        using var x = Tensor<S2x8x8>.From(Device.Default, Random(2 * 2 * 8 * 8, 80));
        using var dy = Tensor<S2x4x4>.From(Device.Default, Random(2 * 2 * 4 * 4, 81));

        // A training Forward first leaves masked values in the dropouts' own buffers: reading them later would show.
        net.Forward(x);
        net.Training = false;
        var y = net.Forward(x).ToArray();
        Assert.Equal(plain.Forward(x).ToArray(), y);

        // Backward follows the last Forward's mode, even if Training changed since.
        net.Training = true;
        net.ZeroGrad();
        plain.ZeroGrad();
        var gx = net.Backward(dy).ToArray();
        Assert.Equal(plain.Backward(dy).ToArray(), gx);
        for (int i = 0; i < net.Parameters.Count; i++)
            Assert.Equal(plain.Parameters[i].Gradient.ToArray(), net.Parameters[i].Gradient.ToArray());
    }
}
