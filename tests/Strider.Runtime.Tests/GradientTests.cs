using Strider.Devices;
using Strider.Runtime.Tests.Reference;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// Every backward op of <see cref="ReferenceDevice"/> against central finite differences of its forward op, for the
/// scalar L = sum(g * y) with a random g (or the loss itself). This is what makes the reference a reference.
/// </summary>
public sealed class GradientTests
{
    private readonly ReferenceDevice _d = new();

    private DeviceBuffer<float> Buf(float[] data)
    {
        var b = _d.Allocate<float>(data.Length);
        b.Upload(data);
        return b;
    }

    private static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    /// <summary>Central differences of <paramref name="loss"/> w.r.t. each element of <paramref name="input"/> against <paramref name="analytic"/>.</summary>
    private static void CheckGradient(string what, float[] input, Func<float[], double> loss, float[] analytic, float eps = 1e-3f)
    {
        var fd = new float[input.Length];
        for (int i = 0; i < input.Length; i++)
        {
            var x = (float[])input.Clone();
            x[i] = input[i] + eps;
            double plus = loss(x);
            x[i] = input[i] - eps;
            double minus = loss(x);
            fd[i] = (float)((plus - minus) / (2.0 * eps));
        }
        // Forward values are single precision, so the differences carry ~1e-4 absolute noise.
        for (int i = 0; i < input.Length; i++)
            Assert.True(Math.Abs(fd[i] - analytic[i]) <= 2e-3 + 1e-2 * Math.Abs(fd[i]),
                $"{what}: element {i}: finite difference {fd[i]:G6}, backward {analytic[i]:G6}.");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Convolution(bool strided)
    {
        var g = strided ? Conv(2, 7, 6, 3, 3, 2, sh: 2, sw: 1, pt: 1, pb: 0, pl: 0, pr: 2, dh: 1, dw: 2) : Conv(2, 5, 6, 3, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1);
        const int n = 2;
        var rng = new Random(1);
        float[] x = Uniform(rng, n * g.InputSize), w = Uniform(rng, g.WeightSize), bias = Uniform(rng, g.OutChannels), gy = Uniform(rng, n * g.OutputSize);
        double L(float[] xv, float[] wv, float[] bv)
        {
            var y = _d.Allocate<float>(n * g.OutputSize);
            _d.ConvForward(g, n, Buf(xv), Buf(wv), Buf(bv), y);
            return Dot(y.ToArray(), gy);
        }
        var dx = _d.Allocate<float>(x.Length);
        _d.ConvBackwardData(g, n, Buf(gy), Buf(w), dx, false);
        var dw = _d.Allocate<float>(w.Length);
        var db = _d.Allocate<float>(bias.Length);
        _d.ConvBackwardWeights(g, n, Buf(x), Buf(gy), dw, db);
        CheckGradient("conv data", x, v => L(v, w, bias), dx.ToArray());
        CheckGradient("conv weights", w, v => L(x, v, bias), dw.ToArray());
        CheckGradient("conv bias", bias, v => L(x, w, v), db.ToArray());
    }

    [Fact]
    public void Pooling_and_unpooling()
    {
        var g = Pool(2, 7, 8, 3, 3, 2, 2, pt: 1, pl: 0, ceil: true);
        const int n = 2;
        var rng = new Random(2);
        float[] x = Distinct(rng, (int)(n * g.InputSize)), gy = Uniform(rng, n * g.OutputSize), gx = Uniform(rng, n * g.InputSize);
        var switches = _d.Allocate<int>(n * g.OutputSize);
        _d.MaxPoolForward(g, n, Buf(x), _d.Allocate<float>(n * g.OutputSize), switches);
        double Max(float[] xv)
        {
            var y = _d.Allocate<float>(n * g.OutputSize);
            _d.MaxPoolForward(g, n, Buf(xv), y, null);
            return Dot(y.ToArray(), gy);
        }
        var dx = _d.Allocate<float>(x.Length);
        _d.MaxPoolBackward(g, n, Buf(gy), switches, dx, false);
        CheckGradient("max pool", x, Max, dx.ToArray());

        double Avg(float[] xv)
        {
            var y = _d.Allocate<float>(n * g.OutputSize);
            _d.AvgPoolForward(g, n, Buf(xv), y);
            return Dot(y.ToArray(), gy);
        }
        _d.AvgPoolBackward(g, n, Buf(gy), dx, false);
        CheckGradient("average pool", x, Avg, dx.ToArray());

        float[] u = Uniform(rng, n * g.OutputSize);
        double Unpool(float[] uv)
        {
            var y = _d.Allocate<float>(n * g.InputSize);
            _d.MaxUnpoolForward(g, n, Buf(uv), switches, y);
            return Dot(y.ToArray(), gx);
        }
        var du = _d.Allocate<float>(u.Length);
        _d.MaxUnpoolBackward(g, n, Buf(gx), switches, du, false);
        CheckGradient("max unpool", u, Unpool, du.ToArray());
    }

    [Fact]
    public void Dense()
    {
        const int rows = 3, inF = 5, outF = 4;
        var rng = new Random(3);
        float[] x = Uniform(rng, rows * inF), w = Uniform(rng, outF * inF), bias = Uniform(rng, outF), gy = Uniform(rng, rows * outF);
        double L(float[] xv, float[] wv, float[] bv)
        {
            var y = _d.Allocate<float>(rows * outF);
            _d.DenseForward(rows, inF, outF, Buf(xv), Buf(wv), Buf(bv), y);
            return Dot(y.ToArray(), gy);
        }
        var dx = _d.Allocate<float>(x.Length);
        _d.DenseBackwardData(rows, inF, outF, Buf(gy), Buf(w), dx, false);
        var dw = _d.Allocate<float>(w.Length);
        var db = _d.Allocate<float>(bias.Length);
        _d.DenseBackwardWeights(rows, inF, outF, Buf(x), Buf(gy), dw, db);
        CheckGradient("dense data", x, v => L(v, w, bias), dx.ToArray());
        CheckGradient("dense weights", w, v => L(x, v, bias), dw.ToArray());
        CheckGradient("dense bias", bias, v => L(x, w, v), db.ToArray());
    }

    [Theory]
    [MemberData(nameof(AllActivations), MemberType = typeof(TestData))]
    public void Activation_(Activation f)
    {
        var rng = new Random(4);
        const int count = 40;
        const float p0 = -0.5f, p1 = 0.8f;
        // Inputs kept away from the kinks (0 for Relu, Elu and SoftSign; p0 and p1 for Clip) by more than the step.
        var x = f == Activation.Log ? Uniform(rng, count, 0.2f, 3f) : Distinct(rng, count, 0.1f).Select(v => v + 0.025f).ToArray();
        float[] gy = Uniform(rng, count);
        double L(float[] xv)
        {
            var y = _d.Allocate<float>(count);
            _d.ActivationForward(f, count, Buf(xv), y, f == Activation.Elu ? 0.7f : p0, p1);
            return Dot(y.ToArray(), gy);
        }
        var yb = _d.Allocate<float>(count);
        float a0 = f == Activation.Elu ? 0.7f : p0;
        _d.ActivationForward(f, count, Buf(x), yb, a0, p1);
        var dx = _d.Allocate<float>(count);
        _d.ActivationBackward(f, count, Buf(x), yb, Buf(gy), dx, false, a0, p1);
        CheckGradient(f.ToString(), x, L, dx.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Adaptive_pooling(bool max)
    {
        const int n = 2;
        var g = new AdaptivePoolGeometry(2, 5, 7, 3, 4);
        var rng = new Random(16);
        // Distinct values a step apart, so a max window's winner does not change under the finite-difference step.
        float[] x = Distinct(rng, (int)(n * g.InputSize), 0.05f), gy = Uniform(rng, n * g.OutputSize);
        var switches = _d.Allocate<int>(n * g.OutputSize);
        double L(float[] xv)
        {
            var y = _d.Allocate<float>(n * g.OutputSize);
            if (max) _d.AdaptiveMaxPoolForward(g, n, Buf(xv), y, switches);
            else _d.AdaptiveAvgPoolForward(g, n, Buf(xv), y);
            return Dot(y.ToArray(), gy);
        }
        L(x);
        var dx = _d.Allocate<float>(n * g.InputSize);
        if (max) _d.AdaptiveMaxPoolBackward(g, n, Buf(gy), switches, dx, false);
        else _d.AdaptiveAvgPoolBackward(g, n, Buf(gy), dx, false);
        float[] analytic = dx.ToArray();
        CheckGradient(max ? "adaptive max" : "adaptive average", x, L, analytic, eps: 1e-2f);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bilinear_upsample(bool alignCorners)
    {
        const int n = 2;
        var g = new UpsampleGeometry(2, 3, 4, 7, 9, UpsampleMode.Bilinear, alignCorners);
        var rng = new Random(17);
        float[] x = Uniform(rng, n * g.InputSize), gy = Uniform(rng, n * g.OutputSize);
        double L(float[] xv)
        {
            var y = _d.Allocate<float>(n * g.OutputSize);
            _d.UpsampleForward(g, n, Buf(xv), y);
            return Dot(y.ToArray(), gy);
        }
        var dx = _d.Allocate<float>(n * g.InputSize);
        _d.UpsampleBackward(g, n, Buf(gy), dx, false);
        CheckGradient("bilinear upsample", x, L, dx.ToArray());
    }

    [Theory]
    [InlineData(BroadcastOp.Add)]
    [InlineData(BroadcastOp.Multiply)]
    public void Broadcast(BroadcastOp op)
    {
        const int n = 2, channels = 3, inner = 5, size = n * channels * inner;
        var rng = new Random(19);
        float[] full = Uniform(rng, size), gate = Uniform(rng, n * channels), gy = Uniform(rng, size);
        double L(float[] f, float[] g)
        {
            var y = _d.Allocate<float>(size);
            _d.BroadcastForward(op, n, channels, inner, Buf(f), Buf(g), y);
            return Dot(y.ToArray(), gy);
        }
        var dFull = _d.Allocate<float>(size);
        var dGate = _d.Allocate<float>(n * channels);
        _d.BroadcastBackward(op, n, channels, inner, Buf(full), Buf(gate), Buf(gy), dFull, false, dGate, false);
        CheckGradient($"broadcast {op} full", full, v => L(v, gate), dFull.ToArray());
        CheckGradient($"broadcast {op} gate", gate, v => L(full, v), dGate.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Group_and_layer_norm(bool layer)
    {
        const int n = 2, channels = 4, inner = 5, groups = 2, size = n * channels * inner;
        int sets = layer ? n * inner : n * groups;
        var rng = new Random(21);
        float[] x = Uniform(rng, size, -2, 2), gamma = Uniform(rng, channels, 0.5f, 1.5f), beta = Uniform(rng, channels), gy = Uniform(rng, size);
        var mean = _d.Allocate<float>(sets);
        var invStd = _d.Allocate<float>(sets);
        double L(float[] xv, float[] gv, float[] bv)
        {
            var y = _d.Allocate<float>(size);
            if (layer) _d.LayerNormForward(n, channels, inner, 1e-5f, Buf(xv), Buf(gv), Buf(bv), y, mean, invStd);
            else _d.GroupNormForward(n, channels, inner, groups, 1e-5f, Buf(xv), Buf(gv), Buf(bv), y, mean, invStd);
            return Dot(y.ToArray(), gy);
        }
        L(x, gamma, beta);
        var dx = _d.Allocate<float>(size);
        var dgamma = _d.Allocate<float>(channels);
        var dbeta = _d.Allocate<float>(channels);
        if (layer) _d.LayerNormBackward(n, channels, inner, Buf(x), Buf(gy), Buf(gamma), mean, invStd, dx, dgamma, dbeta, false);
        else _d.GroupNormBackward(n, channels, inner, groups, Buf(x), Buf(gy), Buf(gamma), mean, invStd, dx, dgamma, dbeta, false);
        float[] adx = dx.ToArray(), adg = dgamma.ToArray(), adb = dbeta.ToArray();
        string what = layer ? "layer norm" : "group norm";
        CheckGradient($"{what} data", x, v => L(v, gamma, beta), adx);
        CheckGradient($"{what} weight", gamma, v => L(x, v, beta), adg);
        CheckGradient($"{what} bias", beta, v => L(x, gamma, v), adb);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Grouped_convolution(int groups)
    {
        var g = Conv(4, 5, 6, 4, 3, 3, sh: 2, pt: 1, pb: 1, pl: 1, pr: 1) with { Groups = groups };
        const int n = 2;
        var rng = new Random(23);
        float[] x = Uniform(rng, n * g.InputSize), w = Uniform(rng, g.WeightSize), bias = Uniform(rng, g.OutChannels), gy = Uniform(rng, n * g.OutputSize);
        double L(float[] xv, float[] wv, float[] bv)
        {
            var y = _d.Allocate<float>(n * g.OutputSize);
            _d.ConvForward(g, n, Buf(xv), Buf(wv), Buf(bv), y);
            return Dot(y.ToArray(), gy);
        }
        var dx = _d.Allocate<float>(n * g.InputSize);
        var dw = _d.Allocate<float>(g.WeightSize);
        var db = _d.Allocate<float>(g.OutChannels);
        _d.ConvBackwardData(g, n, Buf(gy), Buf(w), dx, false);
        _d.ConvBackwardWeights(g, n, Buf(x), Buf(gy), dw, db);
        CheckGradient($"grouped ({groups}) conv data", x, v => L(v, w, bias), dx.ToArray());
        CheckGradient($"grouped ({groups}) conv weights", w, v => L(x, v, bias), dw.ToArray());
        CheckGradient($"grouped ({groups}) conv bias", bias, v => L(x, w, v), db.ToArray());
    }

    [Fact]
    public void PRelu()
    {
        const int n = 2, channels = 3, inner = 7, size = n * channels * inner;
        var rng = new Random(14);
        // Away from the kink at 0 by more than the step.
        float[] x = Distinct(rng, size, 0.1f).Select(v => v + 0.025f).ToArray(), slope = Uniform(rng, channels), gy = Uniform(rng, size);
        double L(float[] xv, float[] sv)
        {
            var y = _d.Allocate<float>(size);
            _d.PReluForward(n, channels, inner, Buf(xv), Buf(sv), y);
            return Dot(y.ToArray(), gy);
        }
        var dx = _d.Allocate<float>(size);
        var dslope = _d.Allocate<float>(channels);
        _d.PReluBackward(n, channels, inner, Buf(x), Buf(slope), Buf(gy), dx, dslope, false);
        CheckGradient("prelu data", x, v => L(v, slope), dx.ToArray());
        CheckGradient("prelu slope", slope, v => L(x, v), dslope.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Softmax(bool log)
    {
        const int n = 2, channels = 5, inner = 3, size = n * channels * inner;
        var rng = new Random(5);
        float[] x = Uniform(rng, size, -2, 2), gy = Uniform(rng, size);
        double L(float[] xv)
        {
            var y = _d.Allocate<float>(size);
            _d.SoftmaxForward(log, n, channels, inner, Buf(xv), y);
            return Dot(y.ToArray(), gy);
        }
        var yb = _d.Allocate<float>(size);
        _d.SoftmaxForward(log, n, channels, inner, Buf(x), yb);
        var dx = _d.Allocate<float>(size);
        _d.SoftmaxBackward(log, n, channels, inner, yb, Buf(gy), dx, false);
        CheckGradient(log ? "log-softmax" : "softmax", x, L, dx.ToArray());
    }

    [Fact]
    public void BatchNorm_training()
    {
        const int n = 3, channels = 2, inner = 4, size = n * channels * inner;
        var rng = new Random(6);
        float[] x = Uniform(rng, size, -2, 2), gamma = Uniform(rng, channels, 0.5f, 1.5f), beta = Uniform(rng, channels), gy = Uniform(rng, size);
        DeviceBuffer<float> mean = _d.Allocate<float>(channels), invStd = _d.Allocate<float>(channels);
        double L(float[] xv, float[] gv, float[] bv)
        {
            var y = _d.Allocate<float>(size);
            _d.BatchNormForwardTraining(n, channels, inner, Buf(xv), Buf(gv), Buf(bv), _d.Allocate<float>(channels), _d.Allocate<float>(channels), 0.1f, 1e-5f, y, mean, invStd);
            return Dot(y.ToArray(), gy);
        }
        L(x, gamma, beta);
        var dx = _d.Allocate<float>(size);
        var dg = _d.Allocate<float>(channels);
        var dbeta = _d.Allocate<float>(channels);
        _d.BatchNormBackward(n, channels, inner, Buf(x), Buf(gy), Buf(gamma), Buf(mean.ToArray()), Buf(invStd.ToArray()), dx, dg, dbeta, false);
        float[] dxv = dx.ToArray(), dgv = dg.ToArray(), dbv = dbeta.ToArray();
        CheckGradient("batch norm data", x, v => L(v, gamma, beta), dxv);
        CheckGradient("batch norm gamma", gamma, v => L(x, v, beta), dgv);
        CheckGradient("batch norm beta", beta, v => L(x, gamma, v), dbv);
    }

    [Fact]
    public void Dropout_with_a_fixed_mask()
    {
        const int count = 50;
        var rng = new Random(7);
        float[] x = Uniform(rng, count), gy = Uniform(rng, count);
        var mask = _d.Allocate<float>(count);
        double L(float[] xv)
        {
            var y = _d.Allocate<float>(count);
            _d.DropoutForward(count, 0.4f, 99UL, Buf(xv), mask, y);
            return Dot(y.ToArray(), gy);
        }
        L(x);
        var dx = _d.Allocate<float>(count);
        _d.Multiply(count, Buf(gy), mask, dx, false);
        CheckGradient("dropout", x, L, dx.ToArray());
    }

    [Fact]
    public void CopyBox_backward_is_the_box_copied_back()
    {
        var box = new BoxCopy(3, 5, 6, 1, 1, 2, 4, 4, 5, 0, 1, 0, 2, 3, 4);
        var back = new BoxCopy(4, 4, 5, 0, 1, 0, 3, 5, 6, 1, 1, 2, 2, 3, 4);
        const int n = 2;
        var rng = new Random(8);
        float[] x = Uniform(rng, n * 3 * 5 * 6), gy = Uniform(rng, n * 4 * 4 * 5);
        double L(float[] xv)
        {
            var y = _d.Allocate<float>(gy.Length);
            _d.CopyBox(box, n, Buf(xv), y, false);
            return Dot(y.ToArray(), gy);
        }
        var dx = _d.Allocate<float>(x.Length);
        _d.CopyBox(back, n, Buf(gy), dx, false);
        CheckGradient("copy box", x, L, dx.ToArray(), 1e-2f);
    }

    [Fact]
    public void Permute_backward_is_the_inverse_permutation()
    {
        var g = new PermuteGeometry(3, 2, 3, 4, 1, 2, 0, 1, 3);
        // The inverse of (2, 0, 1) on dims (2, 3, 4) is (1, 2, 0) on the output dims (4, 2, 3).
        var inverse = new PermuteGeometry(3, 4, 2, 3, 1, 1, 2, 0, 3);
        const int n = 2;
        var rng = new Random(9);
        float[] x = Uniform(rng, n * g.Size), gy = Uniform(rng, n * g.Size);
        double L(float[] xv)
        {
            var y = _d.Allocate<float>(gy.Length);
            _d.Permute(g, n, Buf(xv), y, false);
            return Dot(y.ToArray(), gy);
        }
        var dx = _d.Allocate<float>(x.Length);
        _d.Permute(inverse, n, Buf(gy), dx, false);
        CheckGradient("permute", x, L, dx.ToArray(), 1e-2f);
    }

    [Fact]
    public void Losses()
    {
        const int n = 2, classes = 4, inner = 3, size = n * classes * inner;
        var rng = new Random(10);
        var labels = _d.Allocate<int>(n * inner);
        labels.Upload([0, 3, -1, 2, 1, 1]);
        float[] logits = Uniform(rng, size, -2, 2), probs = Uniform(rng, size, 0.2f, 1f), target = Uniform(rng, size);
        var d = _d.Allocate<float>(size);
        var scratch = _d.Allocate<float>(size);

        _d.SoftmaxCrossEntropy(n, classes, inner, Buf(logits), labels, d);
        CheckGradient("softmax cross-entropy", logits, v => _d.SoftmaxCrossEntropy(n, classes, inner, Buf(v), labels, scratch), d.ToArray());

        _d.CrossEntropyFromProbabilities(n, classes, inner, Buf(probs), labels, d);
        CheckGradient("cross-entropy from probabilities", probs, v => _d.CrossEntropyFromProbabilities(n, classes, inner, Buf(v), labels, scratch), d.ToArray());

        _d.MeanSquaredError(size, Buf(logits), Buf(target), d);
        CheckGradient("mean squared error", logits, v => _d.MeanSquaredError(size, Buf(v), Buf(target), scratch), d.ToArray());
    }
}
