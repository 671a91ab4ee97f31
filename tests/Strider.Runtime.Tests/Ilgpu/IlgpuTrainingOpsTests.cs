using Strider.Devices;
using Strider.Devices.Gpu;
using Strider.Runtime.Tests.Reference;
using static Strider.Runtime.Tests.Ilgpu.DeviceTestExtensions;

namespace Strider.Runtime.Tests.Ilgpu;

[Collection(IlgpuCollection.Name)]
public sealed class IlgpuTrainingOpsTests(IlgpuFixture fixture)
{
    private readonly Device _d = fixture.Device;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Softmax_over_channels_and_its_backward(bool log)
    {
        const int n = 2, c = 4, inner = 3;
        float[] x = Random(n * c * inner, 21, 3f), dy = Random(x.Length, 22);
        var y = new float[x.Length];
        var dx = new float[x.Length];
        for (int b = 0; b < n; b++)
        for (int j = 0; j < inner; j++)
        {
            int At(int ch) => (b * c + ch) * inner + j;
            double sum = Enumerable.Range(0, c).Sum(ch => Math.Exp(x[At(ch)]));
            for (int ch = 0; ch < c; ch++) y[At(ch)] = log ? (float)(x[At(ch)] - Math.Log(sum)) : (float)(Math.Exp(x[At(ch)]) / sum);
            // dx_i = sum_k dy_k dy_k/dx_i from the Jacobian, written out.
            for (int i = 0; i < c; i++)
            for (int k = 0; k < c; k++)
            {
                double pk = Math.Exp(x[At(k)]) / sum, pi = Math.Exp(x[At(i)]) / sum;
                double jac = log ? (i == k ? 1 : 0) - pi : pk * ((i == k ? 1 : 0) - pi);
                dx[At(i)] += (float)(dy[At(k)] * jac);
            }
        }
        using var bx = _d.Upload(x);
        using var by = _d.Allocate<float>(x.Length);
        _d.SoftmaxForward(log, n, c, inner, bx, by);
        AssertClose(y, by.ToArray());
        using var bdy = _d.Upload(dy);
        using var bdx = _d.Allocate<float>(x.Length);
        _d.SoftmaxBackward(log, n, c, inner, by, bdy, bdx, accumulate: false);
        AssertClose(dx, bdx.ToArray(), 1e-3f);
    }

    [Fact]
    public void Batch_norm_training_inference_and_backward()
    {
        const int n = 3, c = 2, inner = 4, m = n * inner;
        const float momentum = 0.1f, eps = 1e-5f;
        float[] x = Random(n * c * inner, 23, 2f), gamma = { 1.5f, -0.5f }, beta = { 0.25f, 1f }, dy = Random(x.Length, 24);
        float[] rm = { 0.5f, -1f }, rv = { 2f, 0.5f };
        var y = new float[x.Length];
        var dx = new float[x.Length];
        var dgamma = new float[c];
        var dbeta = new float[c];
        var mean = new float[c];
        var invStd = new float[c];
        var expectedRm = new float[c];
        var expectedRv = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            var idx = Enumerable.Range(0, n).SelectMany(b => Enumerable.Range(0, inner).Select(j => (b * c + ch) * inner + j)).ToArray();
            double mu = idx.Average(i => (double)x[i]);
            double variance = idx.Sum(i => (x[i] - mu) * (x[i] - mu)) / m;
            double s = 1 / Math.Sqrt(variance + eps);
            mean[ch] = (float)mu;
            invStd[ch] = (float)s;
            expectedRm[ch] = (float)((1 - momentum) * rm[ch] + momentum * mu);
            expectedRv[ch] = (float)((1 - momentum) * rv[ch] + momentum * variance * m / (m - 1));
            double sumDy = idx.Sum(i => (double)dy[i]), sumDyXhat = idx.Sum(i => dy[i] * (x[i] - mu) * s);
            dbeta[ch] = (float)sumDy;
            dgamma[ch] = (float)sumDyXhat;
            foreach (int i in idx)
            {
                double xhat = (x[i] - mu) * s;
                y[i] = (float)(xhat * gamma[ch] + beta[ch]);
                dx[i] = (float)(gamma[ch] * s / m * (m * dy[i] - sumDy - xhat * sumDyXhat));
            }
        }
        using var bx = _d.Upload(x);
        using var bg = _d.Upload(gamma);
        using var bb = _d.Upload(beta);
        using var brm = _d.Upload(rm);
        using var brv = _d.Upload(rv);
        using var by = _d.Allocate<float>(x.Length);
        using var bm = _d.Allocate<float>(c);
        using var bs = _d.Allocate<float>(c);
        _d.BatchNormForwardTraining(n, c, inner, bx, bg, bb, brm, brv, momentum, eps, by, bm, bs);
        AssertClose(y, by.ToArray());
        AssertClose(mean, bm.ToArray());
        AssertClose(invStd, bs.ToArray());
        AssertClose(expectedRm, brm.ToArray());
        AssertClose(expectedRv, brv.ToArray());

        using var bdy = _d.Upload(dy);
        using var bdx = _d.Allocate<float>(x.Length);
        using var bdg = _d.Allocate<float>(c);
        using var bdb = _d.Allocate<float>(c);
        _d.BatchNormBackward(n, c, inner, bx, bdy, bg, bm, bs, bdx, bdg, bdb, accumulate: false);
        AssertClose(dx, bdx.ToArray(), 1e-3f);
        AssertClose(dgamma, bdg.ToArray());
        AssertClose(dbeta, bdb.ToArray());

        _d.BatchNormForwardInference(n, c, inner, bx, bg, bb, brm, brv, eps, by);
        float[] rmNow = brm.ToArray(), rvNow = brv.ToArray();
        AssertClose(x.Select((v, i) => { int ch = i / inner % c; return (float)((v - rmNow[ch]) / Math.Sqrt(rvNow[ch] + eps) * gamma[ch] + beta[ch]); }).ToArray(), by.ToArray());
    }

    [Fact]
    public void Softmax_cross_entropy_means_over_labelled_positions_and_ignores_minus_one()
    {
        const int n = 2, c = 3, inner = 2;
        float[] logits = Random(n * c * inner, 25, 2f);
        int[] labels = { 2, -1, 0, 1 };
        double total = 0;
        var grad = new float[logits.Length];
        for (int pos = 0; pos < n * inner; pos++)
        {
            if (labels[pos] < 0) continue;
            int b = pos / inner, j = pos % inner;
            int At(int ch) => (b * c + ch) * inner + j;
            double sum = Enumerable.Range(0, c).Sum(ch => Math.Exp(logits[At(ch)]));
            total += Math.Log(sum) - logits[At(labels[pos])];
            for (int ch = 0; ch < c; ch++) grad[At(ch)] = (float)((Math.Exp(logits[At(ch)]) / sum - (ch == labels[pos] ? 1 : 0)) / 3);
        }
        using var bl = _d.Upload(logits);
        using var blab = _d.Upload(labels);
        using var bd = _d.Upload(Random(logits.Length, 26));
        float loss = _d.SoftmaxCrossEntropy(n, c, inner, bl, blab, bd);
        Assert.Equal(total / 3, loss, 1e-5);
        AssertClose(grad, bd.ToArray());
    }

    [Fact]
    public void Cross_entropy_from_probabilities_and_mean_squared_error()
    {
        float[] p = { 0.2f, 0.5f, 0.3f, 0.6f, 0.1f, 0.3f };
        int[] labels = { 1, 2 };
        using var bp = _d.Upload(p);
        using var blab = _d.Upload(labels);
        using var bd = _d.Allocate<float>(p.Length);
        float loss = _d.CrossEntropyFromProbabilities(2, 3, 1, bp, blab, bd);
        Assert.Equal(-(Math.Log(0.5) + Math.Log(0.3)) / 2, loss, 1e-5);
        AssertClose(new[] { 0f, -1f / 0.5f / 2, 0, 0, 0, -1f / 0.3f / 2 }, bd.ToArray());

        float[] prediction = Random(7, 27), target = Random(7, 28);
        using var bpr = _d.Upload(prediction);
        using var bt = _d.Upload(target);
        using var bg = _d.Allocate<float>(7);
        float mse = _d.MeanSquaredError(7, bpr, bt, bg);
        Assert.Equal(prediction.Zip(target, (a, b) => (double)(a - b) * (a - b)).Average(), mse, 1e-5);
        AssertClose(prediction.Zip(target, (a, b) => 2 * (a - b) / 7).ToArray(), bg.ToArray());
    }

    [Fact]
    public void Sgd_and_adam_steps_follow_their_formulas()
    {
        float[] p = Random(5, 29), g = Random(5, 30), v = Random(5, 31);
        using var bp = _d.Upload(p);
        using var bg = _d.Upload(g);
        using var bv = _d.Upload(v);
        _d.SgdStep(5, bp, bg, bv, 0.1f, 0.9f, 0.01f);
        var newV = p.Select((pi, i) => 0.9f * v[i] + g[i] + 0.01f * pi).ToArray();
        AssertClose(newV, bv.ToArray());
        AssertClose(p.Select((pi, i) => pi - 0.1f * newV[i]).ToArray(), bp.ToArray());

        float[] m0 = Random(5, 32), v0 = Random(5, 33).Select(Math.Abs).ToArray();
        using var ap = _d.Upload(p);
        using var am = _d.Upload(m0);
        using var av = _d.Upload(v0);
        _d.AdamStep(5, ap, bg, am, av, 0.01f, 0.9f, 0.999f, 1e-8f, 0.001f, step: 3);
        var expected = new float[5];
        for (int i = 0; i < 5; i++)
        {
            double gi = g[i] + 0.001 * p[i];
            double mi = 0.9 * m0[i] + 0.1 * gi, vi = 0.999 * v0[i] + 0.001 * gi * gi;
            expected[i] = (float)(p[i] - 0.01 * (mi / (1 - Math.Pow(0.9, 3))) / (Math.Sqrt(vi / (1 - Math.Pow(0.999, 3))) + 1e-8));
        }
        AssertClose(expected, ap.ToArray());
    }

    [Theory]
    [MemberData(nameof(TestData.AllActivations), MemberType = typeof(TestData))]
    public void Activation_gradients_match_finite_differences(Activation f)
    {
        // Away from kinks (0 for relu/elu/softsign, the clip bounds) and positive for log.
        float[] x = f == Activation.Log ? new[] { 0.3f, 0.9f, 1.7f, 2.5f } : new[] { -1.3f, -0.4f, 0.35f, 1.2f };
        const float p0 = 0.7f, p1 = 1f;
        float a = f == Activation.Clip ? -1f : p0, b = f == Activation.Clip ? 1f : p1;
        using var bx = _d.Upload(x);
        using var by = _d.Allocate<float>(4);
        _d.ActivationForward(f, 4, bx, by, a, b);
        float[] y = by.ToArray();
        Func<double, double> fn = f switch
        {
            Activation.Relu => v => Math.Max(v, 0),
            Activation.Elu => v => v > 0 ? v : a * (Math.Exp(v) - 1),
            Activation.Sigmoid => v => 1 / (1 + Math.Exp(-v)),
            Activation.Tanh => Math.Tanh,
            Activation.SoftSign => v => v / (1 + Math.Abs(v)),
            Activation.Clip => v => Math.Clamp(v, a, b),
            Activation.Log => Math.Log,
            Activation.Exp => Math.Exp,
            Activation.LeakyRelu => v => v > 0 ? v : a * v,
            // The newer activations' formulas are the reference's, itself checked against PyTorch's fixtures.
            Activation.Relu6 or Activation.HardTanh or Activation.Silu or Activation.Gelu or Activation.GeluTanh
                or Activation.HardSwish or Activation.HardSigmoid or Activation.Softplus => v => ReferenceActivations.Apply(f, v, a, b),
            _ => throw new ArgumentOutOfRangeException(nameof(f), f, "No finite-difference formula for this activation: add it here."),
        };
        AssertClose(x.Select(v => (float)fn(v)).ToArray(), y);

        float[] dy = { 0.5f, -1f, 2f, 0.25f };
        using var bdy = _d.Upload(dy);
        using var bdx = _d.Upload(new float[] { 1, 1, 1, 1 });
        _d.ActivationBackward(f, 4, bx, by, bdy, bdx, accumulate: true, a, b);
        var expected = x.Select((v, i) => (float)(1 + dy[i] * (fn(v + 1e-4) - fn(v - 1e-4)) / 2e-4)).ToArray();
        AssertClose(expected, bdx.ToArray(), 1e-3f);
    }

    [Fact]
    [Trait("Speed", "Slow")]
    public void Dropout_mask_is_the_shared_counter_hash()
    {
        const int count = 2000;
        const float rate = 0.3f;
        const ulong seed = 12345;
        float[] x = Random(count, 34);
        using var bx = _d.Upload(x);
        using var bm = _d.Allocate<float>(count);
        using var by = _d.Allocate<float>(count);
        _d.DropoutForward(count, rate, seed, bx, bm, by);
        float[] mask = bm.ToArray(), y = by.ToArray();
        for (int i = 0; i < count; i++)
        {
            float expected = DropoutMask.Value(seed, i, rate);
            Assert.Equal(expected, mask[i]);
            Assert.Equal(x[i] * expected, y[i]);
        }
        double kept = mask.Count(v => v != 0) / (double)count;
        Assert.InRange(kept, 0.65, 0.75);

        using var bm2 = _d.Allocate<float>(count);
        _d.DropoutForward(count, rate, seed + 1, bx, bm2, by);
        Assert.NotEqual(mask, bm2.ToArray());

        using var bp = _d.Upload(x);
        _d.Multiply(count, bm, bx, bp, accumulate: true);
        AssertClose(x.Select((v, i) => v + v * mask[i]).ToArray(), bp.ToArray());
    }

    [Fact]
    public void Memory_ops_respect_offsets_boxes_and_permutations()
    {
        using var buffer = _d.Upload(new float[] { 1, 2, 3, 4, 5, 6 });
        _d.Fill(buffer, 1, 3, 9f);
        Assert.Equal(new float[] { 1, 9, 9, 9, 5, 6 }, buffer.ToArray());
        using var other = _d.Upload(new float[] { 10, 20, 30, 40 });
        _d.Copy(other, 1, buffer, 3, 2, accumulate: true);
        Assert.Equal(new float[] { 1, 9, 9, 29, 35, 6 }, buffer.ToArray());
        _d.Copy(other, 0, buffer, 0, 2, accumulate: false);
        Assert.Equal(new float[] { 10, 20, 9, 29, 35, 6 }, buffer.ToArray());
        using var sum = _d.Allocate<float>(4);
        _d.Add(4, other, buffer, sum);
        Assert.Equal(new float[] { 20, 40, 39, 69 }, sum.ToArray());

        // Pad a [2, 1, 2, 2] tensor into channel 1 of [2, 2, 3, 4] at (1, 1).
        var box = new BoxCopy(1, 2, 2, 0, 0, 0, 2, 3, 4, 1, 1, 1, 1, 2, 2);
        using var src = _d.Upload(Enumerable.Range(1, 8).Select(i => (float)i).ToArray());
        using var dst = _d.Allocate<float>(2 * 2 * 3 * 4);
        _d.CopyBox(box, 2, src, dst, accumulate: false);
        var expected = new float[48];
        for (int b = 0; b < 2; b++)
        for (int y = 0; y < 2; y++)
        for (int x = 0; x < 2; x++)
            expected[((b * 2 + 1) * 3 + 1 + y) * 4 + 1 + x] = 1 + (b * 2 + y) * 2 + x;
        Assert.Equal(expected, dst.ToArray());

        // [2, 3, 4] -> permute(2, 0, 1) -> [4, 2, 3], for each of 2 batch items.
        var pg = new PermuteGeometry(3, 2, 3, 4, 1, 2, 0, 1, 3);
        float[] px = Random(2 * 24, 35);
        using var bpx = _d.Upload(px);
        using var bpy = _d.Allocate<float>(48);
        _d.Permute(pg, 2, bpx, bpy, accumulate: false);
        float[] py = bpy.ToArray();
        for (int b = 0; b < 2; b++)
        for (int i0 = 0; i0 < 2; i0++)
        for (int i1 = 0; i1 < 3; i1++)
        for (int i2 = 0; i2 < 4; i2++)
            Assert.Equal(px[b * 24 + (i0 * 3 + i1) * 4 + i2], py[b * 24 + (i2 * 2 + i0) * 3 + i1]);
    }

    [Fact]
    public void Buffers_copy_with_offsets_and_reject_foreign_or_short_buffers()
    {
        using var buffer = _d.Allocate<float>(5);
        Assert.Equal(new float[5], buffer.ToArray());
        buffer.Upload(new float[] { 7, 8 }, offset: 2);
        var part = new float[3];
        buffer.Download(part, offset: 1);
        Assert.Equal(new float[] { 0, 7, 8 }, part);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Upload(new float[3], offset: 3));

        using var small = _d.Allocate<float>(2);
        var error = Assert.Throws<ArgumentException>(() => _d.Add(5, buffer, small, buffer));
        Assert.Contains("has 2 elements; this op needs at least 5", error.Message);

        using var otherDevice = IlgpuDevice.CreateCpuSimulator();
        using var foreign = otherDevice.Allocate<float>(5);
        error = Assert.Throws<ArgumentException>(() => _d.Add(5, buffer, foreign, buffer));
        Assert.Contains("belongs to device", error.Message);
    }
}

public sealed class IlgpuFactoryTests
{
    [NoCudaFact]
    public void Asking_for_cuda_without_a_cuda_device_names_what_is_available()
    {
        var error = Assert.Throws<InvalidOperationException>(() => DeviceFactory.Create("cuda"));
        Assert.StartsWith("No CUDA device found; available: ", error.Message);
    }

    [Fact]
    public void Factory_creates_the_simulator_by_name()
    {
        using var device = DeviceFactory.Create(" ILGPU-CPU ");
        Assert.Matches("^ilgpu-cpu#[0-9]+$", device.Name);
    }

    [Fact]
    public void Two_simulator_devices_have_different_names()
    {
        using var first = DeviceFactory.Create("ilgpu-cpu");
        using var second = DeviceFactory.Create("ilgpu-cpu");
        Assert.NotEqual(first.Name, second.Name);
    }

    [CudaFact]
    public void Cuda_device_runs_a_convolution_like_the_simulator()
    {
        var g = new ConvGeometry(2, 6, 6, 3, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1);
        float[] x = Random(2 * 72, 1), w = Random((int)g.WeightSize, 2);
        using var cuda = IlgpuDevice.CreateCuda();
        using var cx = cuda.Upload(x);
        using var cw = cuda.Upload(w);
        using var cy = cuda.Allocate<float>(2 * g.OutputSize);
        cuda.ConvForward(g, 2, cx, cw, null, cy);
        AssertClose(ReferenceOps.ConvForward(g, 2, x, w, null), cy.ToArray());
    }
}
