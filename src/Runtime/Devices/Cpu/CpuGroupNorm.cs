using System;
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
        Run(ws, ref args, sets.Count, &ForwardItem);
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
        Run(ws, ref args, sets.Count, &BackwardItem);
        if (args.DGamma != null || args.DBeta != null) Run(ws, ref args, sets.Channels, &ParameterItem);
    }

    private static void Run(CpuWorkspace ws, ref Args args, long count, delegate*<object, void*, int, int, void> work)
    {
        if (count == 0 || args.Sets.Size == 0) return;
        args.Items = count;
        args.PerItem = (int)Math.Max(1, Math.Min(count / (ws.Workers * 4), Math.Max(1, CpuElementwise.ElementChunk / args.Sets.Size)));
        fixed (Args* p = &args) ws.Run(p, checked((int)((count + args.PerItem - 1) / args.PerItem)), work);
    }

    private static void ForwardItem(object state, void* args, int item, int worker)
    {
        ref readonly Args a = ref *(Args*)args;
        var sets = a.Sets;
        int m = sets.Size, stride = sets.Stride;
        for (long s = (long)item * a.PerItem, end = Math.Min(a.Items, s + a.PerItem); s < end; s++)
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

    /// <summary>dx = invStd (g - mean(g) - xhat mean(g xhat)) with g = dy gamma[c], per set.</summary>
    private static void BackwardItem(object state, void* args, int item, int worker)
    {
        ref readonly Args a = ref *(Args*)args;
        var sets = a.Sets;
        int m = sets.Size, stride = sets.Stride;
        for (long s = (long)item * a.PerItem, end = Math.Min(a.Items, s + a.PerItem); s < end; s++)
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
}
