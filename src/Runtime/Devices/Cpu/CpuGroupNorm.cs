using System;
using System.Runtime.Intrinsics;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// Group and layer norm on the CPU (<see cref="NormSets"/>): statistics and dx one set per step, sets spread over the
/// workers in fixed groups; dgamma/dbeta one channel per step over every set that holds it. Sums are in double in a
/// fixed order, so results do not depend on the thread count.
/// </summary>
internal static unsafe class CpuGroupNorm
{
    private struct Args
    {
        public NormSets Sets;
        public float Epsilon;
        public float* X, Gamma, Beta, Y, Mean, InvStd, Dy, Dx, DGamma, DBeta;
        public bool Accumulate;
        public int PerItem;
        public long Items;
    }

    internal static void Forward(CpuWorkspace ws, NormSets sets, float epsilon, DeviceBuffer<float> x, DeviceBuffer<float>? gamma, DeviceBuffer<float>? beta,
        DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd)
    {
        long size = (long)sets.N * sets.Channels * sets.Inner;
        var args = new Args
        {
            Sets = sets, Epsilon = epsilon, X = P(x, size, nameof(x)), Y = P(y, size, nameof(y)),
            Gamma = gamma is null ? null : P(gamma, sets.Channels, nameof(gamma)), Beta = beta is null ? null : P(beta, sets.Channels, nameof(beta)),
            Mean = P(savedMean, sets.Count, nameof(savedMean)), InvStd = P(savedInvStd, sets.Count, nameof(savedInvStd)),
        };
        if (sets.Layer != 0 && Vector256.IsHardwareAccelerated && sets.Inner >= 8) RunLayerBlocks(ws, ref args, &LayerForwardItem);
        else Run(ws, ref args, sets.Count, &ForwardItem);
    }

    internal static void Backward(CpuWorkspace ws, NormSets sets, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float>? gamma,
        DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float>? dgamma, DeviceBuffer<float>? dbeta, bool accumulate)
    {
        long size = (long)sets.N * sets.Channels * sets.Inner;
        var args = new Args
        {
            Sets = sets, Accumulate = accumulate, X = P(x, size, nameof(x)), Dy = P(dy, size, nameof(dy)), Dx = P(dx, size, nameof(dx)),
            Gamma = gamma is null ? null : P(gamma, sets.Channels, nameof(gamma)),
            Mean = P(savedMean, sets.Count, nameof(savedMean)), InvStd = P(savedInvStd, sets.Count, nameof(savedInvStd)),
            DGamma = dgamma is null ? null : P(dgamma, sets.Channels, nameof(dgamma)), DBeta = dbeta is null ? null : P(dbeta, sets.Channels, nameof(dbeta)),
        };
        if (sets.Layer != 0 && Vector256.IsHardwareAccelerated && sets.Inner >= 8) RunLayerBlocks(ws, ref args, &LayerBackwardItem);
        else Run(ws, ref args, sets.Count, &BackwardItem);
        if (args.DGamma != null || args.DBeta != null) Run(ws, ref args, sets.Channels, &ParameterItem);
    }

    private static void Run(CpuWorkspace ws, ref Args args, long count, delegate*<object, void*, int, int, void> work)
    {
        if (count == 0 || args.Sets.Size == 0) return;
        args.Items = count;
        args.PerItem = (int)Math.Max(1, Math.Min(count / (ws.Workers * 4), Math.Max(1, CpuElementwise.ElementChunk / args.Sets.Size)));
        fixed (Args* p = &args) ws.Run(p, checked((int)((count + args.PerItem - 1) / args.PerItem)), work);
    }

    /// <summary>Layer norm positions in blocks of <see cref="LayerBlock"/> per image: a partition fixed by the sizes alone.</summary>
    private const int LayerBlock = 64;

    private static void RunLayerBlocks(CpuWorkspace ws, ref Args args, delegate*<object, void*, int, int, void> work)
    {
        if (args.Sets.Count == 0 || args.Sets.Channels == 0) return;
        args.PerItem = (args.Sets.Inner + LayerBlock - 1) / LayerBlock;
        fixed (Args* p = &args) ws.Run(p, checked(args.Sets.N * args.PerItem), work);
    }

    /// <summary>
    /// Layer norm over one block of positions: 8 positions at a time, their channels walked in order, each lane doing
    /// what <see cref="ForwardSet"/> does for its position (double sums, the same float steps); leftover positions go to it.
    /// </summary>
    private static void LayerForwardItem(object state, void* args, int item, int worker)
    {
        ref readonly Args a = ref *(Args*)args;
        var sets = a.Sets;
        int b = item / a.PerItem, i0 = item % a.PerItem * LayerBlock, i1 = Math.Min(sets.Inner, i0 + LayerBlock), channels = sets.Channels;
        long plane = sets.Inner, image = (long)b * channels * plane;
        int i = i0;
        for (; i + 8 <= i1; i += 8)
        {
            float* x = a.X + image + i, y = a.Y + image + i;
            Vector256<double> s0 = default, s1 = default;
            for (int c = 0; c < channels; c++)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Load(x + c * plane));
                s0 += lo;
                s1 += hi;
            }
            Vector256<double> m0 = s0 / channels, m1 = s1 / channels, q0 = default, q1 = default;
            for (int c = 0; c < channels; c++)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Load(x + c * plane));
                var (d0, d1) = (lo - m0, hi - m1);
                q0 += d0 * d0;
                q1 += d1 * d1;
            }
            var eps = Vector256.Create((double)a.Epsilon);
            var invStd = Vector256.Narrow(Vector256<double>.One / Vector256.Sqrt(q0 / channels + eps), Vector256<double>.One / Vector256.Sqrt(q1 / channels + eps));
            var mean = Vector256.Narrow(m0, m1);
            long s = (long)b * plane + i;
            mean.Store(a.Mean + s);
            invStd.Store(a.InvStd + s);
            for (int c = 0; c < channels; c++)
            {
                var v = (Vector256.Load(x + c * plane) - mean) * invStd;
                if (a.Gamma != null) v *= Vector256.Create(a.Gamma[c]);
                if (a.Beta != null) v += Vector256.Create(a.Beta[c]);
                v.Store(y + c * plane);
            }
        }
        for (; i < i1; i++) ForwardSet(a, (long)b * plane + i);
    }

    /// <summary>Layer norm backward over one block of positions, 8 lanes doing what <see cref="BackwardSet"/> does.</summary>
    private static void LayerBackwardItem(object state, void* args, int item, int worker)
    {
        ref readonly Args a = ref *(Args*)args;
        var sets = a.Sets;
        int b = item / a.PerItem, i0 = item % a.PerItem * LayerBlock, i1 = Math.Min(sets.Inner, i0 + LayerBlock), channels = sets.Channels;
        long plane = sets.Inner, image = (long)b * channels * plane;
        int i = i0;
        for (; i + 8 <= i1; i += 8)
        {
            float* x = a.X + image + i, dy = a.Dy + image + i, dx = a.Dx + image + i;
            long s = (long)b * plane + i;
            Vector256<float> mean = Vector256.Load(a.Mean + s), invStd = Vector256.Load(a.InvStd + s);
            Vector256<double> g0 = default, g1 = default, p0 = default, p1 = default;
            for (int c = 0; c < channels; c++)
            {
                var (d0, d1) = Vector256.Widen(Vector256.Load(dy + c * plane));
                if (a.Gamma != null)
                {
                    var gamma = Vector256.Create((double)a.Gamma[c]);
                    (d0, d1) = (d0 * gamma, d1 * gamma);
                }
                var (h0, h1) = Vector256.Widen((Vector256.Load(x + c * plane) - mean) * invStd);
                g0 += d0;
                g1 += d1;
                p0 += d0 * h0;
                p1 += d1 * h1;
            }
            Vector256<float> meanG = Vector256.Narrow(g0 / channels, g1 / channels), meanGX = Vector256.Narrow(p0 / channels, p1 / channels);
            for (int c = 0; c < channels; c++)
            {
                var g = Vector256.Load(dy + c * plane);
                if (a.Gamma != null) g *= Vector256.Create(a.Gamma[c]);
                var xhat = (Vector256.Load(x + c * plane) - mean) * invStd;
                var d = invStd * (g - meanG - xhat * meanGX);
                if (a.Accumulate) d += Vector256.Load(dx + c * plane);
                d.Store(dx + c * plane);
            }
        }
        for (; i < i1; i++) BackwardSet(a, (long)b * plane + i);
    }

    private static void ForwardItem(object state, void* args, int item, int worker)
    {
        ref readonly Args a = ref *(Args*)args;
        for (long s = (long)item * a.PerItem, end = Math.Min(a.Items, s + a.PerItem); s < end; s++) ForwardSet(a, s);
    }

    private static void ForwardSet(in Args a, long s)
    {
        var sets = a.Sets;
        int m = sets.Size, stride = sets.Stride;
        if (stride == 1 && Vector256.IsHardwareAccelerated)
        {
            ForwardGroup(a, s);
            return;
        }
        {
            float* x = a.X + sets.Base(s), y = a.Y + sets.Base(s);
            double sum = 0;
            for (int k = 0; k < m; k++) sum += x[(long)k * stride];
            double mean = sum / m, squares = 0;
            for (int k = 0; k < m; k++)
            {
                double d = x[(long)k * stride] - mean;
                squares += d * d;
            }
            float invStd = (float)(1 / Math.Sqrt(squares / m + a.Epsilon)), fmean = (float)mean;
            a.Mean[s] = fmean;
            a.InvStd[s] = invStd;
            for (int k = 0; k < m; k++)
            {
                int c = sets.ChannelOf(s, k);
                float v = (x[(long)k * stride] - fmean) * invStd;
                if (a.Gamma != null) v *= a.Gamma[c];
                if (a.Beta != null) v += a.Beta[c];
                y[(long)k * stride] = v;
            }
        }
    }

    private static void BackwardItem(object state, void* args, int item, int worker)
    {
        ref readonly Args a = ref *(Args*)args;
        for (long s = (long)item * a.PerItem, end = Math.Min(a.Items, s + a.PerItem); s < end; s++) BackwardSet(a, s);
    }

    /// <summary>dx = invStd (g - mean(g) - xhat mean(g xhat)) with g = dy gamma[c], for set <paramref name="s"/>.</summary>
    private static void BackwardSet(in Args a, long s)
    {
        var sets = a.Sets;
        int m = sets.Size, stride = sets.Stride;
        if (stride == 1 && Vector256.IsHardwareAccelerated)
        {
            BackwardGroup(a, s);
            return;
        }
        {
            long b0 = sets.Base(s);
            float* x = a.X + b0, dy = a.Dy + b0, dx = a.Dx + b0;
            float mean = a.Mean[s], invStd = a.InvStd[s];
            double sumG = 0, sumGX = 0;
            for (int k = 0; k < m; k++)
            {
                long o = (long)k * stride;
                double g = a.Gamma != null ? (double)dy[o] * a.Gamma[sets.ChannelOf(s, k)] : dy[o];
                sumG += g;
                sumGX += g * ((x[o] - mean) * invStd);
            }
            float meanG = (float)(sumG / m), meanGX = (float)(sumGX / m);
            for (int k = 0; k < m; k++)
            {
                long o = (long)k * stride;
                float g = a.Gamma != null ? dy[o] * a.Gamma[sets.ChannelOf(s, k)] : dy[o];
                float xhat = (x[o] - mean) * invStd;
                Put(dx + o, invStd * (g - meanG - xhat * meanGX), a.Accumulate);
            }
        }
    }

    /// <summary>dgamma[c] += the sum of dy xhat, dbeta[c] += the sum of dy, over the images and positions of channel c.</summary>
    private static void ParameterItem(object state, void* args, int item, int worker)
    {
        ref readonly Args a = ref *(Args*)args;
        var sets = a.Sets;
        for (long c = (long)item * a.PerItem, end = Math.Min(a.Items, c + a.PerItem); c < end; c++)
        {
            double sumDyX = 0, sumDy = 0;
            for (int b = 0; b < sets.N; b++)
            {
                long row = ((long)b * sets.Channels + c) * sets.Inner;
                if (Vector256.IsHardwareAccelerated)
                {
                    // A group norm row lies in one set; a layer norm row's positions are consecutive sets.
                    long s0 = sets.SetOf(row);
                    RowParameterSums(a.Dy + row, a.X + row, a.Mean + s0, a.InvStd + s0, sets.Layer != 0, sets.Inner, ref sumDy, ref sumDyX);
                    continue;
                }
                for (int i = 0; i < sets.Inner; i++)
                {
                    long j = row + i, s = sets.SetOf(j);
                    float d = a.Dy[j];
                    sumDy += d;
                    sumDyX += (double)d * ((a.X[j] - a.Mean[s]) * a.InvStd[s]);
                }
            }
            if (a.DGamma != null) a.DGamma[c] += (float)sumDyX;
            if (a.DBeta != null) a.DBeta[c] += (float)sumDy;
        }
    }

    /// <summary>
    /// <see cref="ForwardSet"/> for a group norm set (contiguous values, a channel every Inner of them): the sums in 8
    /// double lanes, then each channel's run normalised in float vectors with the scalar rule's steps.
    /// </summary>
    private static void ForwardGroup(in Args a, long s)
    {
        var sets = a.Sets;
        int m = sets.Size, inner = sets.Inner;
        float* x = a.X + sets.Base(s), y = a.Y + sets.Base(s);
        double mean = Sum(x, m) / m, squares = SquaredDeviations(x, m, mean);
        float invStd = (float)(1 / Math.Sqrt(squares / m + a.Epsilon)), fmean = (float)mean;
        a.Mean[s] = fmean;
        a.InvStd[s] = invStd;
        for (int k0 = 0; k0 < m; k0 += inner)
        {
            int c = sets.ChannelOf(s, k0);
            float* xr = x + k0, yr = y + k0;
            int i = 0;
            Vector256<float> vm = Vector256.Create(fmean), vs = Vector256.Create(invStd);
            for (; i + 8 <= inner; i += 8)
            {
                var v = (Vector256.Load(xr + i) - vm) * vs;
                if (a.Gamma != null) v *= Vector256.Create(a.Gamma[c]);
                if (a.Beta != null) v += Vector256.Create(a.Beta[c]);
                v.Store(yr + i);
            }
            for (; i < inner; i++)
            {
                float v = (xr[i] - fmean) * invStd;
                if (a.Gamma != null) v *= a.Gamma[c];
                if (a.Beta != null) v += a.Beta[c];
                yr[i] = v;
            }
        }
    }

    /// <summary><see cref="BackwardSet"/> for a group norm set, each channel's run in vectors (sums in double lanes).</summary>
    private static void BackwardGroup(in Args a, long s)
    {
        var sets = a.Sets;
        int m = sets.Size, inner = sets.Inner;
        long b0 = sets.Base(s);
        float* x = a.X + b0, dy = a.Dy + b0, dx = a.Dx + b0;
        float mean = a.Mean[s], invStd = a.InvStd[s];
        Vector256<float> vm = Vector256.Create(mean), vs = Vector256.Create(invStd);
        Vector256<double> g0 = default, g1 = default, p0 = default, p1 = default;
        double sumG = 0, sumGX = 0;
        for (int k0 = 0; k0 < m; k0 += inner)
        {
            double gamma = a.Gamma != null ? a.Gamma[sets.ChannelOf(s, k0)] : 1;
            var vg = Vector256.Create(gamma);
            int i = k0;
            for (; i + 8 <= k0 + inner; i += 8)
            {
                var (d0, d1) = Vector256.Widen(Vector256.Load(dy + i));
                (d0, d1) = (d0 * vg, d1 * vg);
                var (h0, h1) = Vector256.Widen((Vector256.Load(x + i) - vm) * vs);
                g0 += d0;
                g1 += d1;
                p0 += d0 * h0;
                p1 += d1 * h1;
            }
            for (; i < k0 + inner; i++)
            {
                double g = dy[i] * gamma;
                sumG += g;
                sumGX += g * ((x[i] - mean) * invStd);
            }
        }
        sumG += Vector256.Sum(g0 + g1);
        sumGX += Vector256.Sum(p0 + p1);
        float meanG = (float)(sumG / m), meanGX = (float)(sumGX / m);
        Vector256<float> vmg = Vector256.Create(meanG), vmgx = Vector256.Create(meanGX);
        for (int k0 = 0; k0 < m; k0 += inner)
        {
            float gamma = a.Gamma != null ? a.Gamma[sets.ChannelOf(s, k0)] : 1;
            var vg = Vector256.Create(gamma);
            int i = k0;
            for (; i + 8 <= k0 + inner; i += 8)
            {
                var g = Vector256.Load(dy + i);
                if (a.Gamma != null) g *= vg;
                var xhat = (Vector256.Load(x + i) - vm) * vs;
                var d = vs * (g - vmg - xhat * vmgx);
                if (a.Accumulate) d += Vector256.Load(dx + i);
                d.Store(dx + i);
            }
            for (; i < k0 + inner; i++)
            {
                float g = a.Gamma != null ? dy[i] * gamma : dy[i];
                float xhat = (x[i] - mean) * invStd;
                Put(dx + i, invStd * (g - meanG - xhat * meanGX), a.Accumulate);
            }
        }
    }

    /// <summary>The sum of <paramref name="count"/> contiguous values in 8 double lanes, then the tail.</summary>
    private static double Sum(float* x, int count)
    {
        Vector256<double> s0 = default, s1 = default;
        int i = 0;
        for (; i + 8 <= count; i += 8)
        {
            var (lo, hi) = Vector256.Widen(Vector256.Load(x + i));
            s0 += lo;
            s1 += hi;
        }
        double sum = Vector256.Sum(s0 + s1);
        for (; i < count; i++) sum += x[i];
        return sum;
    }

    /// <summary>The sum of (x - mean)^2 over <paramref name="count"/> contiguous values, in double.</summary>
    private static double SquaredDeviations(float* x, int count, double mean)
    {
        Vector256<double> q0 = default, q1 = default, m = Vector256.Create(mean);
        int i = 0;
        for (; i + 8 <= count; i += 8)
        {
            var (lo, hi) = Vector256.Widen(Vector256.Load(x + i));
            var (d0, d1) = (lo - m, hi - m);
            q0 += d0 * d0;
            q1 += d1 * d1;
        }
        double squares = Vector256.Sum(q0 + q1);
        for (; i < count; i++)
        {
            double d = x[i] - mean;
            squares += d * d;
        }
        return squares;
    }

    /// <summary>
    /// Adds one channel row's sum of dy and of dy xhat (xhat = (x - mean) invStd in float, as the scalar rule) in double
    /// lanes: one set's mean and 1/std for the whole row (group norm), or one per position (layer norm: <paramref name="perPosition"/>).
    /// </summary>
    private static void RowParameterSums(float* dy, float* x, float* mean, float* invStd, bool perPosition, int count, ref double sumDy, ref double sumDyX)
    {
        Vector256<double> d0 = default, d1 = default, p0 = default, p1 = default;
        Vector256<float> vm = Vector256.Create(*mean), vs = Vector256.Create(*invStd);
        int i = 0;
        for (; i + 8 <= count; i += 8)
        {
            if (perPosition) (vm, vs) = (Vector256.Load(mean + i), Vector256.Load(invStd + i));
            var (lo, hi) = Vector256.Widen(Vector256.Load(dy + i));
            var (h0, h1) = Vector256.Widen((Vector256.Load(x + i) - vm) * vs);
            d0 += lo;
            d1 += hi;
            p0 += lo * h0;
            p1 += hi * h1;
        }
        double sd = Vector256.Sum(d0 + d1), sp = Vector256.Sum(p0 + p1);
        for (; i < count; i++)
        {
            int at = perPosition ? i : 0;
            float d = dy[i];
            sd += d;
            sp += (double)d * ((x[i] - mean[at]) * invStd[at]);
        }
        sumDy += sd;
        sumDyX += sp;
    }
}
