using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Strider.Shapes;
using static Strider.Devices.Cpu.CpuMath;
using static Strider.Devices.Cpu.CpuElementwise;

namespace Strider.Devices.Cpu;

/// <summary>
/// Convolution as GEMM. Forward: Y[K, P] = W[K, CRS] x col[CRS, P] per image, where col (im2col) is packed straight
/// into B panels. Backward data: col = W^T dY, scattered back (col2im). Backward weights: dW += dY col^T.
/// </summary>
internal static unsafe partial class CpuConvolution
{
    /// <summary>Output columns one forward work item covers at most (a multiple of Gemm.NR).</summary>
    internal const int ColumnChunk = ConvolutionAlgorithm.ColumnChunk;

    /// <summary>
    /// The kernel the last conv forward or backward-data pass on this thread ran, read off the branch it took (for tests
    /// that check it against <see cref="ConvolutionAlgorithm"/>, which the generated code's comments name).
    /// </summary>
    [ThreadStatic] internal static ConvKernel LastKernel;

    /// <summary>Work items a pass aims for per worker when it splits an image's output positions finer than a column chunk.</summary>
    internal const int ItemsPerWorker = 8;

    internal struct ConvArgs
    {
        public ConvGeometry G;
        public int N, Chunks, ChunkWidth, ChunksPerItem, ItemsPerImage, ChannelBlock, ChannelBlocks, RowBlocks, Partials, ImagesPerGroup, PadPlanes;
        public float* X, W, Y, Bias, PackedW;
        public bool Accumulate;
        /// <summary>The padded, phase-split input copy (see CpuConvolution.Padded.cs) and its layout.</summary>
        public float* Q;
        public int* Shifts;
        public int Hq, Wq;
        public long QPlane, QImage;
        /// <summary>Backward weights split over taps: the MR-row panels of dW^T one item covers.</summary>
        public int TapPanels;
        /// <summary>Forward: the residual add and activation each item applies to the rows it wrote (inactive by default).</summary>
        public CpuEpilogue Epilogue;
        /// <summary>Channel tiles reading x in place (no padding): the offset between neighbouring output columns' taps (StrideW); 0 for the padded copy's 1.</summary>
        public int ColumnStep;
        /// <summary>Banded col2im (CpuConvolution.Bands.cs): dY rows per band, the pass's band parity, its image and dx channels, and the shared accumulator.</summary>
        public int BandRows, BandParity, BandImage, BandChannel0, BandChannel1;
        public float* BandAcc;
    }

    /// <summary>Partial weight gradients a conv's backward-weights pass is split into (fixed, so results do not depend on the thread count).</summary>
    internal const int WeightGradientPartials = 8;

    internal static void CheckConv(in ConvGeometry g, int n)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "The batch cannot be negative.");
        if (g.InChannels <= 0 || g.OutChannels <= 0 || g.KernelH <= 0 || g.KernelW <= 0 || g.StrideH <= 0 || g.StrideW <= 0 ||
            g.DilationH <= 0 || g.DilationW <= 0 || g.InH <= 0 || g.InW <= 0 || g.OutH <= 0 || g.OutW <= 0)
            throw new ArgumentException($"Convolution geometry {g} needs positive channels, sizes, kernel, stride and dilation.", nameof(g));
    }

    /// <summary><see cref="ConvolutionAlgorithm.GemmKernel"/> of <paramref name="g"/>: where a Winograd kernel the plan chose cannot run.</summary>
    private static ConvKernel GemmKernel(in ConvGeometry g) => ConvolutionAlgorithm.GemmKernel(g.InChannels, g.InH, g.InW, g.OutChannels, g.OutH, g.OutW,
        g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadTop, g.PadLeft);

    internal static void ConvForward(CpuWorkspace ws, in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y,
        in ConvEpilogue epilogue = default)
    {
        CheckConv(g, n);
        var kernel = ConvolutionAlgorithm.Forward(g.InChannels, g.InH, g.InW, g.OutChannels, g.OutH, g.OutW, g.KernelH, g.KernelW,
            g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.DilationH, g.DilationW, g.Groups);
        if (kernel == ConvKernel.Winograd4x4)
        {
            if (Winograd4Fits(g, n))
            {
                ConvForwardWinograd4(ws, g, n, x, w, bias, y, epilogue);
                return;
            }
            // Past F(4x4, 3x3)'s workspace: F(2x2, 3x3), which keeps fewer values per tile (and past its own, the GEMM).
            kernel = ConvKernel.Winograd;
        }
        if (kernel == ConvKernel.Winograd && WinogradFits(g, n))
        {
            ConvForwardWinograd(ws, g, n, x, w, bias, y, epilogue);
            return;
        }
        if (kernel == ConvKernel.StridedWinograd)
        {
            float* sy = P(y, n * g.OutputSize, nameof(y));
            if (TryForwardStridedWinograd(ws, g, n, P(x, n * g.InputSize, nameof(x)), w,
                    bias is null ? null : P(bias, g.OutChannels, nameof(bias)), sy, CpuEpilogue.Of(epilogue, sy, n * g.OutputSize)))
            {
                LastKernel = ConvKernel.StridedWinograd;
                return;
            }
            // Without AVX-512, or past Winograd's workspace: what the plan would take without it.
            kernel = GemmKernel(g);
        }
        if (kernel == ConvKernel.WinogradLargeKernel)
        {
            if (TryForwardLargeWinograd(ws, g, n, x, w, bias, y, epilogue))
            {
                LastKernel = ConvKernel.WinogradLargeKernel;
                return;
            }
            // Without AVX-512: what the plan would take without it.
            kernel = GemmKernel(g);
        }
        if (kernel == ConvKernel.ShallowDirect && (ShallowDirectOff || !Vector512.IsHardwareAccelerated)) kernel = GemmKernel(g);
        var conv = new ConvArgs { G = g };
        if (kernel == ConvKernel.ShallowDirect)
        {
            var blocks = PackedConvWeights.Get(ws, w, g.OutChannels, g.InChannels * g.KernelH * g.KernelW, &conv, PackedConvWeights.Layout.ShallowPanels);
            ForwardShallow(ws, g, n, P(x, n * g.InputSize, nameof(x)), conv.PackedW,
                bias is null ? null : P(bias, g.OutChannels, nameof(bias)), P(y, n * g.OutputSize, nameof(y)), epilogue);
            LastKernel = ConvKernel.ShallowDirect;
            GC.KeepAlive(blocks);
            return;
        }
        if (kernel == ConvKernel.Pointwise)
        {
            // 8-row panels of w[K, C] over the whole depth: the pointwise tiles' broadcasts.
            var rows = PackedConvWeights.Get(ws, w, g.OutChannels, g.InChannels, &conv, PackedConvWeights.Layout.PointwisePanels);
            ForwardPointwise(ws, g, n, P(x, n * g.InputSize, nameof(x)), conv.PackedW,
                bias is null ? null : P(bias, g.OutChannels, nameof(bias)), P(y, n * g.OutputSize, nameof(y)), epilogue);
            LastKernel = ConvKernel.Pointwise;
            GC.KeepAlive(rows);
            return;
        }
        if (kernel == ConvKernel.ChannelTiles)
        {
            var panels = PackedConvWeights.Get(ws, w, g.OutChannels, g.InChannels * g.KernelH * g.KernelW, &conv, PackedConvWeights.Layout.ChannelPanels);
            float* ty = P(y, n * g.OutputSize, nameof(y));
            ForwardChannelTiles(ws, g, n, P(x, n * g.InputSize, nameof(x)), conv.PackedW,
                bias is null ? null : P(bias, g.OutChannels, nameof(bias)), ty, CpuEpilogue.Of(epilogue, ty, n * g.OutputSize));
            LastKernel = ConvKernel.ChannelTiles;
            GC.KeepAlive(panels);
            return;
        }
        // Weights packed once per write of them, not per call (see PackedConvWeights).
        var packed = PackedConvWeights.Get(ws, w, g.OutChannels, g.InChannels * g.KernelH * g.KernelW, &conv);
        float* py = P(y, n * g.OutputSize, nameof(y));
        LastKernel = ConvForwardCore(ws, g, n, P(x, n * g.InputSize, nameof(x)), conv.W,
            bias is null ? null : P(bias, g.OutChannels, nameof(bias)), py, packedW: conv.PackedW, epilogue: CpuEpilogue.Of(epilogue, py, n * g.OutputSize));
        GC.KeepAlive(packed);
    }

    /// <summary>
    /// The forward pass on checked pointers (also each stride phase of a strided backward data). A non-null
    /// <paramref name="shared"/> is the padded copy's layout already filled (stride 1, dilation 1), read from its Q on.
    /// A non-null <paramref name="packedW"/> is w already packed (<see cref="PackWeightsItem"/>'s layout); otherwise
    /// w is packed here. Each item applies <paramref name="epilogue"/> to the outputs it wrote. Returns the kernel it ran.
    /// </summary>
    internal static ConvKernel ConvForwardCore(CpuWorkspace ws, in ConvGeometry g, int n, float* x, float* w, float* bias, float* y,
        ConvArgs* shared = null, float* packedW = null, in CpuEpilogue epilogue = default)
    {
        int crs = g.InChannels * g.KernelH * g.KernelW, p = g.OutH * g.OutW;
        var conv = new ConvArgs { G = g, N = n, X = x, W = w, Y = y, Bias = bias, PackedW = packedW, Epilogue = epilogue };
        if (packedW == null)
        {
            // The weights are the A operand of every item: pack them once, KC-deep blocks one after another.
            conv.PackedW = ws.Shared((long)Gemm.RoundUp(g.OutChannels, Gemm.MR) * crs);
            ws.Run(&conv, (crs + Gemm.KC - 1) / Gemm.KC, &PackWeightsItem);
        }
        if (shared == null)
        {
            PreparePadded(ws, ref conv, mayAlias: true);
            FillPadded(ws, &conv);
        }
        else SharedLayout(ws, ref conv, *shared);
        if (BatchedPadded(conv))
        {
            conv.RowBlocks = (g.OutChannels + BatchedRowBlock - 1) / BatchedRowBlock;
            conv.Chunks = (n * p + ColumnChunk - 1) / ColumnChunk;
            ws.Run(&conv, conv.Chunks * conv.RowBlocks, &ForwardBatchedItem);
            return ConvKernel.BatchColumnsGemm;
        }
        conv.ChunkWidth = ForwardChunkWidth(p, n, ws.Workers);
        conv.Chunks = (p + conv.ChunkWidth - 1) / conv.ChunkWidth;
        // Runs of neighbouring chunks per item: a worker's next chunk then reads the padded rows its last one left
        // in its own L2 (handing out single chunks alternated them between the workers), with about 8 items per
        // worker left for balance.
        conv.ChunksPerItem = Math.Clamp(n * conv.Chunks / (ItemsPerWorker * ws.Workers), 1, conv.Chunks);
        conv.ItemsPerImage = (conv.Chunks + conv.ChunksPerItem - 1) / conv.ChunksPerItem;
        ws.Run(&conv, n * conv.ItemsPerImage, &ForwardItem);
        return conv.Q == conv.X ? ConvKernel.Gemm1x1 : ConvKernel.Im2colGemm;
    }

    /// <summary>
    /// Output columns per forward item: a whole column chunk when the batch has enough of them to go round the workers,
    /// else narrower (whole 32-column panels) so that a batch of one 14x14 or 28x28 image still keeps every worker busy
    /// (one 256-column chunk of ResNet's 256x14x14 ran on one core).
    /// </summary>
    internal static int ForwardChunkWidth(int p, int n, int workers)
    {
        int target = ItemsPerWorker * workers, perImage = (p + ColumnChunk - 1) / ColumnChunk;
        if (n <= 0 || (long)n * perImage >= target) return ColumnChunk;
        int chunks = (target + n - 1) / n;
        return Math.Clamp(Gemm.RoundUp((p + chunks - 1) / chunks, Gemm.NR), Gemm.NR, ColumnChunk);
    }

    /// <summary>Packs block <paramref name="item"/> (taps item KC ..) of the weights into MR-row panels at PackedW.</summary>
    internal static void PackWeightsItem(object state, void* args, int item, int worker)
    {
        ref readonly ConvArgs a = ref *(ConvArgs*)args;
        int crs = a.G.InChannels * a.G.KernelH * a.G.KernelW, k0 = item * Gemm.KC;
        Gemm.PackA(a.W + k0, crs, 1, a.G.OutChannels, Math.Min(Gemm.KC, crs - k0), a.PackedW + (long)Gemm.RoundUp(a.G.OutChannels, Gemm.MR) * k0);
    }

    internal static void ForwardItem(object state, void* args, int item, int worker)
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly ConvArgs a = ref *(ConvArgs*)args;
        ref readonly ConvGeometry g = ref a.G;
        int b = item / a.ItemsPerImage, first = item % a.ItemsPerImage * a.ChunksPerItem, last = Math.Min(a.Chunks, first + a.ChunksPerItem);
        int crs = g.InChannels * g.KernelH * g.KernelW, p = g.OutH * g.OutW;
        int mPad = Gemm.RoundUp(g.OutChannels, Gemm.MR);
        float* packB = Grow(ws.WorkspaceB, worker, (long)Gemm.KC * ColumnChunk);
        float* qb = a.Q + b * a.QImage;
        for (int chunk = first; chunk < last; chunk++)
        {
            int n0 = chunk * a.ChunkWidth, nb = Math.Min(a.ChunkWidth, p - n0);
            float* yb = a.Y + b * g.OutputSize + n0;
            if (a.Epilogue.Active) a.Epilogue.Prefetch(yb, g.OutChannels, p, nb);
            for (int k0 = 0; k0 < crs; k0 += Gemm.KC)
            {
                int kc = Math.Min(Gemm.KC, crs - k0);
                PackColumnsPadded(a, qb, k0, kc, n0, nb, packB);
                Gemm.RunPacked(g.OutChannels, nb, kc, a.PackedW + (long)mPad * k0, packB, yb, p, k0 > 0);
            }
            if (a.Bias != null)
                for (int k = 0; k < g.OutChannels; k++) AddScalar(yb + (long)k * p, yb + (long)k * p, nb, a.Bias[k]);
            if (a.Epilogue.Active) a.Epilogue.ApplyRows(yb, g.OutChannels, p, nb);
        }
    }

    /// <summary>
    /// dx (+)= conv-transpose(dy, w); with <paramref name="bias"/> or an <paramref name="epilogue"/> (only when not
    /// accumulating: a transposed conv's inference forward), dx = f(that + bias + residual), applied per row by the phase
    /// split and in one pass after the other kernels.
    /// </summary>
    internal static void ConvBackwardData(CpuWorkspace ws, in ConvGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate,
        DeviceBuffer<float>? bias = null, in ConvEpilogue epilogue = default)
    {
        CheckConv(g, n);
        if (bias is not null || !epilogue.IsNone)
        {
            TransposedConvForward(ws, g, n, dy, w, dx, accumulate, bias, epilogue);
            return;
        }
        if (FlippedForwardApplies(g))
        {
            BackwardDataFlipped(ws, g, n, P(dy, n * g.OutputSize, nameof(dy)), w, P(dx, n * g.InputSize, nameof(dx)), accumulate);
            LastKernel = ConvKernel.FlippedForward;
            return;
        }
        int rs = g.KernelH * g.KernelW, p = g.OutH * g.OutW;
        // Channels per item: blocks of at most BackwardDataRows rows of W^T in whole channels, as even as whole channels
        // allow; fewer channels when the batch has too few (image, block) items to go round the workers (a 1x1 conv of
        // 64 channels at batch 1 was one item).
        int blocks = Math.Max(1, (int)(((long)g.InChannels * rs + BackwardDataRows - 1) / BackwardDataRows));
        int block = (g.InChannels + blocks - 1) / blocks, wanted = 2 * ws.Workers;
        blocks = (g.InChannels + block - 1) / block;
        if (n > 0 && (long)n * blocks < wanted)
        {
            int perImage = (wanted + n - 1) / n;
            block = Math.Max(1, (g.InChannels + perImage - 1) / perImage);
        }
        var conv = new ConvArgs
        {
            G = g, N = n,
            Y = P(dy, n * g.OutputSize, nameof(dy)), W = PackedConvWeights.ReadOnly(w, g.WeightSize, nameof(w)), X = P(dx, n * g.InputSize, nameof(dx)),
            Accumulate = accumulate, ChannelBlock = block, ChannelBlocks = (g.InChannels + block - 1) / block,
        };
        if (TryBackwardDataByPhases(ws, g, n, conv.Y, w, conv.W, conv.X, accumulate))
            return;
        if (SmallOutput(g))
        {
            LastKernel = ConvKernel.BatchColumnsCol2im;
            // Whole images per item, so two items never scatter into the same image's channels.
            conv.ImagesPerGroup = ColumnChunk / p;
            int groups = (n + conv.ImagesPerGroup - 1) / conv.ImagesPerGroup;
            ws.Run(&conv, groups * conv.ChannelBlocks, &BackwardDataBatchedItem);
        }
        else
        {
            LastKernel = ConvKernel.GemmCol2im;
            // Strided columns scatter into a phase-split accumulator (contiguous runs) that is unpadded once at the end.
            if (g.StrideW > 1) PaddedLayout(ws, ref conv);
            // Several small images per item share one packing of W^T (LeNet: 64 images of 8x8 would repack it 64 times);
            // large images keep an item each, for load balance.
            conv.ImagesPerGroup = Math.Clamp(Math.Min(4 * ColumnChunk / p, n * conv.ChannelBlocks / (8 * ws.Workers)), 1, 8);
            int groups = (n + conv.ImagesPerGroup - 1) / conv.ImagesPerGroup;
            if (!BandsOff && BandsApply(g, n)) BackwardDataByBands(ws, ref conv);
            else ws.Run(&conv, groups * conv.ChannelBlocks, &BackwardDataItem);
        }
    }

    /// <summary>
    /// Most rows of W^T (input channels x taps) one col2im backward-data item multiplies: each item packs dY for its own
    /// rows, so 64-row items (8 channels of a 3x3) packed the batch's dY once per 8 channels; at 256 ResNet-18's
    /// stride-2 3x3 convs at batch 8 ran 4-20% faster on 14x14 and 7x7 outputs (one thread; 28x28 unchanged).
    /// </summary>
    internal const int BackwardDataRows = 256;

    internal static void BackwardDataItem(object state, void* args, int item, int worker)
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly ConvArgs a = ref *(ConvArgs*)args;
        ref readonly ConvGeometry g = ref a.G;
        int group = item / a.ChannelBlocks, c0 = item % a.ChannelBlocks * a.ChannelBlock, c1 = Math.Min(g.InChannels, c0 + a.ChannelBlock);
        int b0 = group * a.ImagesPerGroup, b1 = Math.Min(a.N, b0 + a.ImagesPerGroup);
        int rs = g.KernelH * g.KernelW, crs = g.InChannels * rs, p = g.OutH * g.OutW, K = g.OutChannels;
        int rows = (c1 - c0) * rs, mPad = Gemm.RoundUp(rows, Gemm.MR);
        float* packA = Grow(ws.WorkspaceA, worker, (long)mPad * K);
        float* packB = Grow(ws.WorkspaceB, worker, (long)Gemm.KC * ColumnChunk);
        float* cols = Grow(ws.WorkspaceC, worker, (long)mPad * ColumnChunk);
        // A = W^T restricted to this item's rows: A[m, k] = w[k, c0 rs + m].
        for (int k0 = 0; k0 < K; k0 += Gemm.KC)
            Gemm.PackA(a.W + (long)c0 * rs + (long)k0 * crs, 1, crs, rows, Math.Min(Gemm.KC, K - k0), packA + (long)mPad * k0);
        bool phased = g.StrideW > 1;
        float* acc = phased ? Grow(ws.WorkspaceD, worker, (c1 - c0) * a.QPlane) : null;
        for (int b = b0; b < b1; b++) BackwardDataImage(a, b, c0, c1, rows, mPad, packA, packB, cols, acc);
    }

    /// <summary>dx[b, c0 .. c1] (+)= col2im(W^T dY[b]) with this item's packed W^T rows.</summary>
    internal static void BackwardDataImage(in ConvArgs a, int b, int c0, int c1, int rows, int mPad, float* packA, float* packB, float* cols, float* acc)
    {
        ref readonly ConvGeometry g = ref a.G;
        int rs = g.KernelH * g.KernelW, p = g.OutH * g.OutW, K = g.OutChannels;
        float* dyb = a.Y + b * g.OutputSize, dxb = a.X + b * g.InputSize + (long)c0 * g.InH * g.InW;
        if (!a.Accumulate) new Span<float>(dxb, (c1 - c0) * g.InH * g.InW).Clear();
        bool phased = acc != null;
        if (phased) new Span<float>(acc, checked((int)((c1 - c0) * a.QPlane))).Clear();
        for (int n0 = 0; n0 < p; n0 += ColumnChunk)
        {
            int nb = Math.Min(ColumnChunk, p - n0);
            for (int k0 = 0; k0 < K; k0 += Gemm.KC)
            {
                int kc = Math.Min(Gemm.KC, K - k0);
                Gemm.PackB(dyb + (long)k0 * p + n0, p, 1, kc, nb, packB);
                Gemm.RunPacked(rows, nb, kc, packA + (long)mPad * k0, packB, cols, ColumnChunk, k0 > 0);
            }
            if (phased) Col2ImPhased(a, cols, ColumnChunk, c0 * rs, rows, n0, nb, acc - c0 * a.QPlane);
            else Col2Im(g, cols, ColumnChunk, c0 * rs, rows, n0, nb, a.X + b * g.InputSize);
        }
        if (phased)
            for (int c = c0; c < c1; c++) UnpadAdd(a, acc + (c - c0) * a.QPlane, dxb + (long)(c - c0) * g.InH * g.InW);
    }

    /// <summary>
    /// Col2im into the phase-split layout of the padded input (see CpuConvolution.Padded.cs): tap (c, r, s) of output
    /// (oh, ow) lands at q + shift(c, r, s) + oh sh Wq + ow, so each output row is one contiguous vector add.
    /// </summary>
    internal static void Col2ImPhased(in ConvArgs a, float* cols, int ldc, int row0, int rows, int n0, int nb, float* q)
    {
        ref readonly ConvGeometry g = ref a.G;
        long rowStep = (long)g.StrideH * a.Wq;
        for (int m = 0; m < rows; m++)
        {
            float* dst = q + a.Shifts[row0 + m], src = cols + (long)m * ldc;
            int oh = n0 / g.OutW, ow = n0 % g.OutW, col = 0;
            while (col < nb)
            {
                int run = Math.Min(g.OutW - ow, nb - col);
                CopyOrAdd(src + col, dst + oh * rowStep + ow, run, accumulate: true);
                col += run;
                ow += run;
                if (ow == g.OutW) { ow = 0; oh++; }
            }
        }
    }

    /// <summary>x[ih, iw] += q[(iw + pl) % sw, ih + pt, (iw + pl) / sw] for one channel: the inverse of PadItem's copy.</summary>
    internal static void UnpadAdd(in ConvArgs a, float* q, float* x)
    {
        ref readonly ConvGeometry g = ref a.G;
        int sw = g.StrideW;
        if (sw == 2 && Avx.IsSupported)
        {
            UnpadAdd2(a, q, x);
            return;
        }
        for (int phase = 0; phase < sw; phase++)
        {
            // Columns wq whose input column iw = wq sw + phase - pl lies inside x: [lo, hi).
            int first = phase - g.PadLeft;
            int lo = first >= 0 ? 0 : (-first + sw - 1) / sw;
            int hi = g.InW - 1 - first < 0 ? 0 : Math.Min((g.InW - 1 - first) / sw + 1, a.Wq);
            float* plane = q + (long)phase * a.Hq * a.Wq;
            for (int ih = 0; ih < g.InH; ih++)
            {
                int h = ih + g.PadTop;
                if ((uint)h >= (uint)a.Hq) continue;
                float* src = plane + (long)h * a.Wq, line = x + (long)ih * g.InW + first;
                for (int t = lo; t < hi; t++) line[(long)t * sw] += src[t];
            }
        }
    }

    /// <summary>
    /// <see cref="UnpadAdd"/> for stride 2 across: padded column j = iw + pl is q[j % 2, h, j / 2], so 16 columns of
    /// an input row are the two phase rows' 8 values interleaved (unpack and a 128-bit lane swap).
    /// </summary>
    internal static void UnpadAdd2(in ConvArgs a, float* q, float* x)
    {
        ref readonly ConvGeometry g = ref a.G;
        int pl = g.PadLeft, end = pl + g.InW, wq = a.Wq;
        long phasePlane = (long)a.Hq * wq;
        for (int ih = 0; ih < g.InH; ih++)
        {
            int h = ih + g.PadTop;
            if ((uint)h >= (uint)a.Hq) continue;
            float* s0 = q + (long)h * wq, s1 = s0 + phasePlane, line = x + (long)ih * g.InW - pl;
            int j = pl;
            if ((j & 1) != 0)
            {
                if (j / 2 < wq) line[j] += s1[j / 2];
                j++;
            }
            for (; j + 16 <= end && j / 2 + 8 <= wq; j += 16)
            {
                var e = Vector256.Load(s0 + j / 2);
                var o = Vector256.Load(s1 + j / 2);
                var lo = Avx.UnpackLow(e, o);
                var hi = Avx.UnpackHigh(e, o);
                (Vector256.Load(line + j) + Avx.Permute2x128(lo, hi, 0x20)).Store(line + j);
                (Vector256.Load(line + j + 8) + Avx.Permute2x128(lo, hi, 0x31)).Store(line + j + 8);
            }
            for (; j < end; j++)
                if (j / 2 < wq) line[j] += ((j & 1) == 0 ? s0 : s1)[j / 2];
        }
    }

    /// <summary>Adds col[m, j] (rows row0.., columns n0..) back into x at the input position each came from.</summary>
    internal static void Col2Im(in ConvGeometry g, float* cols, int ldc, int row0, int rows, int n0, int nb, float* x)
    {
        if (g.StrideH == 1 && g.StrideW == 1 && n0 % g.OutW == 0 && nb % g.OutW == 0)
        {
            Col2ImRows(g, cols, ldc, row0, rows, n0 / g.OutW, nb / g.OutW, x);
            return;
        }
        int rs = g.KernelH * g.KernelW, plane = g.InH * g.InW;
        for (int m = 0; m < rows; m++)
        {
            int row = row0 + m, c = row / rs, r = row % rs / g.KernelW, s = row % g.KernelW;
            float* dst = x + (long)c * plane, src = cols + (long)m * ldc;
            int dyo = r * g.DilationH - g.PadTop, dxo = s * g.DilationW - g.PadLeft;
            int oh = n0 / g.OutW, ow = n0 % g.OutW, col = 0;
            while (col < nb)
            {
                int run = Math.Min(g.OutW - ow, nb - col);
                int ih = oh * g.StrideH + dyo;
                if ((uint)ih < (uint)g.InH)
                {
                    float* line = dst + (long)ih * g.InW;
                    int iw0 = ow * g.StrideW + dxo;
                    if (g.StrideW == 1)
                    {
                        int lo = Math.Clamp(-iw0, 0, run), hi = Math.Clamp(g.InW - iw0, lo, run);
                        // Inline: LeNet-sized rows are one or two vectors, where a call per run is most of the cost.
                        float* sp = src + col + lo, dp = line + iw0 + lo;
                        int len = hi - lo, t = 0;
                        if (Vector256.IsHardwareAccelerated)
                            for (; t + 8 <= len; t += 8) (Vector256.Load(dp + t) + Vector256.Load(sp + t)).Store(dp + t);
                        for (; t < len; t++) dp[t] += sp[t];
                    }
                    else
                        for (int t = 0, iw = iw0; t < run; t++, iw += g.StrideW)
                            if ((uint)iw < (uint)g.InW) line[iw] += src[col + t];
                }
                col += run;
                ow += run;
                if (ow == g.OutW) { ow = 0; oh++; }
            }
        }
    }

    /// <summary>
    /// <see cref="Col2Im"/> for stride 1 and whole output rows oh0 .. oh0 + count: a row's valid columns and output rows
    /// are found once, so each output row is one vector add with no per-run bookkeeping (LeNet's 8-wide rows).
    /// </summary>
    internal static void Col2ImRows(in ConvGeometry g, float* cols, int ldc, int row0, int rows, int oh0, int count, float* x)
    {
        int plane = g.InH * g.InW, ow = g.OutW;
        int c = row0 / (g.KernelH * g.KernelW), r = row0 % (g.KernelH * g.KernelW) / g.KernelW, s = row0 % g.KernelW;
        for (int m = 0; m < rows; m++)
        {
            int dyo = r * g.DilationH - g.PadTop, dxo = s * g.DilationW - g.PadLeft;
            int lo = Math.Clamp(-dxo, 0, ow), hi = Math.Clamp(g.InW - dxo, lo, ow), len = hi - lo;
            int first = Math.Max(oh0, -dyo), last = Math.Min(oh0 + count, g.InH - dyo);
            float* src = cols + (long)m * ldc + (long)(first - oh0) * ow + lo;
            float* dst = x + (long)c * plane + (long)(first + dyo) * g.InW + dxo + lo;
            for (int oh = first; oh < last; oh++, src += ow, dst += g.InW)
            {
                int t = 0;
                if (Vector256.IsHardwareAccelerated)
                    for (; t + 8 <= len; t += 8) (Vector256.Load(dst + t) + Vector256.Load(src + t)).Store(dst + t);
                for (; t < len; t++) dst[t] += src[t];
            }
            if (++s == g.KernelW)
            {
                s = 0;
                if (++r == g.KernelH) { r = 0; c++; }
            }
        }
    }

    internal static void ConvBackwardWeights(CpuWorkspace ws, in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias)
    {
        CheckConv(g, n);
        int crs = g.InChannels * g.KernelH * g.KernelW, p = g.OutH * g.OutW;
        var conv = new ConvArgs
        {
            G = g, N = n,
            X = P(x, n * g.InputSize, nameof(x)), Y = P(dy, n * g.OutputSize, nameof(dy)), W = P(dw, g.WeightSize, nameof(dw)),
        };
        if (n > 0 && WinogradGradientApplies(g, n))
        {
            BackwardWeightsWinograd(ws, g, n, conv.X, conv.Y, conv.W);
            if (dbias is not null) BiasBackward(ws, n, g.OutChannels, p, dy, dbias);
            return;
        }
        if (n > 0)
        {
            PreparePadded(ws, ref conv, mayAlias: true);
            FillPadded(ws, &conv);
            if (PositionSplitApplies(conv))
            {
                BackwardWeightsOverPositions(ws, ref conv);
                if (dbias is not null) BiasBackward(ws, n, g.OutChannels, p, dy, dbias);
                return;
            }
            if (TapSplitApplies(conv))
            {
                BackwardWeightsOverTaps(ws, ref conv);
                if (dbias is not null) BiasBackward(ws, n, g.OutChannels, p, dy, dbias);
                return;
            }
            // Units are KC-deep runs of output positions (per image, or of the whole batch's columns when outputs are
            // small); each item sums a fixed range of units into its own partial dW, and the partials are added in
            // item order, so the result depends neither on thread timing nor on the thread count.
            bool batched = BatchedPadded(conv);
            int units = batched ? (n * p + Gemm.KC - 1) / Gemm.KC : n * ((p + Gemm.KC - 1) / Gemm.KC);
            int items = Math.Max(1, Math.Min(units, WeightGradientPartials));
            conv.Chunks = units;
            conv.RowBlocks = items;
            long partial = (long)g.OutChannels * crs;
            conv.PackedW = items == 1 ? conv.W : ws.Shared(partial * items);
            if (batched)
            {
                conv.Partials = items;
                conv.RowBlocks = (g.OutChannels + BatchedRowBlock - 1) / BatchedRowBlock;
                ws.Run(&conv, items * conv.RowBlocks, &BackwardWeightsBatchedItem);
            }
            else if (items == 1 && TransposedWeightGradient(g))
            {
                // One unit (a batch of one plane of at most KC positions, ResNet's 14x14 and 7x7 at batch 1) was one
                // item on one core: split its taps instead. Each dW value is still summed by one item in the same order.
                int panels = Gemm.RoundUp(crs, Gemm.MR) / Gemm.MR, wanted = ItemsPerWorker * ws.Workers;
                conv.TapPanels = (panels + wanted - 1) / wanted;
                ws.Run(&conv, (panels + conv.TapPanels - 1) / conv.TapPanels, &BackwardWeightsTapsItem);
            }
            else ws.Run(&conv, items, &BackwardWeightsItem);
            if (items > 1)
            {
                // The partials are added in item order for each weight, over the workers (serially this was ~2% of a U-net step).
                var elem = new ElementArgs { A = conv.PackedW, B = conv.W, N = items };
                RunRanges(ws, ref elem, partial, &SumPartialsRange);
            }
        }
        if (dbias is not null) BiasBackward(ws, n, g.OutChannels, p, dy, dbias);
    }

    /// <summary>dW[i] += partial 0 [i], then partial 1 [i], ... over [i0, i1) (partial j at A + j Count).</summary>
    internal static void SumPartialsRange(in ElementArgs e, long i0, long i1)
    {
        for (int j = 0; j < e.N; j++) CopyOrAdd(e.A + j * e.Count + i0, e.B + i0, i1 - i0, accumulate: true);
    }

    /// <summary>dW[:, taps of this item] += dY[K, P] col[taps, P]^T over every unit (<see cref="ConvArgs.TapPanels"/> MR-row panels per item).</summary>
    internal static void BackwardWeightsTapsItem(object state, void* args, int item, int worker)
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly ConvArgs a = ref *(ConvArgs*)args;
        int tap0 = item * a.TapPanels * Gemm.MR;
        BackwardWeightsTransposed(ws, a, worker, 0, a.Chunks, a.W, tap0, tap0 + a.TapPanels * Gemm.MR);
    }

    /// <summary>dW (or this item's partial) += dY[K, P] col[CRS, P]^T over the item's units.</summary>
    internal static void BackwardWeightsItem(object state, void* args, int item, int worker)
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly ConvArgs a = ref *(ConvArgs*)args;
        ref readonly ConvGeometry g = ref a.G;
        int crs = g.InChannels * g.KernelH * g.KernelW, p = g.OutH * g.OutW, K = g.OutChannels;
        int blocks = (p + Gemm.KC - 1) / Gemm.KC;
        int u0 = (int)((long)item * a.Chunks / a.RowBlocks), u1 = (int)((long)(item + 1) * a.Chunks / a.RowBlocks);
        float* target = a.RowBlocks == 1 ? a.W : a.PackedW + (long)item * K * crs;
        if (a.RowBlocks > 1) new Span<float>(target, K * crs).Clear();
        if (TransposedWeightGradient(g))
        {
            BackwardWeightsTransposed(ws, a, worker, u0, u1, target);
            return;
        }
        float* packA = Grow(ws.WorkspaceA, worker, (long)Gemm.RoundUp(K, Gemm.MR) * Gemm.KC);
        float* packB = Grow(ws.WorkspaceB, worker, (long)Gemm.RoundUp(crs, Gemm.NR) * Gemm.KC);
        int* lanes = (int*)Grow(ws.WorkspaceC, worker, Gemm.KC);
        for (int u = u0; u < u1; u++)
        {
            int b = u / blocks, p0 = u % blocks * Gemm.KC, kc = Math.Min(Gemm.KC, p - p0);
            // A[m, k] = dy[m, p0 + k]; B[k, j] = col[j, p0 + k], gathered from the padded copy.
            Gemm.PackA(a.Y + b * g.OutputSize + p0, p, 1, K, kc, packA);
            PackRowsPadded(a, a.Q + b * a.QImage, crs, p0, kc, lanes, packB);
            Gemm.RunPacked(K, crs, kc, packA, packB, target, crs, accumulate: true);
        }
    }

    /// <summary>
    /// Whether backward weights computes dW^T = col dY^T: taps on the GEMM's rows (packed by 8x8 register transposes
    /// of contiguous runs) and output channels on its columns, instead of gathering every tap of B one value at a time.
    /// Needs rows of at least 8 outputs, so 8 consecutive positions are at most two runs of the padded copy.
    /// </summary>
    internal static bool TransposedWeightGradient(in ConvGeometry g) => Avx.IsSupported && g.OutW >= 8;

    /// <summary>Whether backward weights reads its A operand (taps x positions) in place (<see cref="Gemm.TapsFull512"/>) instead of packing it.</summary>
    internal static bool TapsInPlace => Vector512.IsHardwareAccelerated;

    /// <summary>target[K, CRS] += (sum over this item's units of col[CRS, kc] dY[K, kc]^T), accumulated transposed in a workspace.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void BackwardWeightsTransposed(CpuWorkspace ws, in ConvArgs a, int worker, int u0, int u1, float* target,
        int tap0 = 0, int tap1 = int.MaxValue)
    {
        ref readonly ConvGeometry g = ref a.G;
        int crs = g.InChannels * g.KernelH * g.KernelW, p = g.OutH * g.OutW, K = g.OutChannels;
        int blocks = (p + Gemm.KC - 1) / Gemm.KC, mPad = Gemm.RoundUp(crs, Gemm.MR), kPad = Gemm.RoundUp(K, Gemm.NR);
        float* packB = Grow(ws.WorkspaceB, worker, (long)kPad * Gemm.KC);
        float* packA = Grow(ws.WorkspaceA, worker, (long)Gemm.MR * Gemm.KC);
        int* lanes = (int*)Grow(ws.WorkspaceC, worker, Gemm.KC);
        // This item's taps [tap0, tap1) (whole MR panels): its rows of dW^T, at dwT from tap0 on.
        tap1 = Math.Min(tap1, mPad);
        float* dwT = Grow(ws.WorkspaceD, worker, (long)(tap1 - tap0) * kPad);
        new Span<float>(dwT, (tap1 - tap0) * kPad).Clear();
        dwT -= (long)tap0 * kPad;
        int* taps = stackalloc int[Gemm.MR];
        for (int u = u0; u < u1; u++)
        {
            int b = u / blocks, p0 = u % blocks * Gemm.KC, kc = Math.Min(Gemm.KC, p - p0);
            // B[k, j] = dy[j, p0 + k] in NR-channel panels, channels past K zero.
            float* dyb = a.Y + b * g.OutputSize + p0;
            for (int j0 = 0; j0 < kPad; j0 += Gemm.NR)
            {
                float* panel = packB + (long)j0 * kc;
                for (int j = 0; j < Gemm.NR; j++)
                {
                    float* row = dyb + (long)(j0 + j) * p;
                    if (j0 + j < K) for (int k = 0; k < kc; k++) panel[k * Gemm.NR + j] = row[k];
                    else for (int k = 0; k < kc; k++) panel[k * Gemm.NR + j] = 0;
                }
            }
            ColumnLanes(a, b * p + p0, kc, lanes);
            float* q = a.Q;
            for (int m0 = tap0; m0 < tap1; m0 += Gemm.MR)
            {
                // Taps past CRS read tap 0 (a valid address); their dW^T rows are padding, never copied out.
                for (int i = 0; i < Gemm.MR; i++) taps[i] = m0 + i < crs ? a.Shifts[m0 + i] : a.Shifts[0];
                if (TapsInPlace)
                {
                    for (int j0 = 0; j0 < kPad; j0 += Gemm.NR)
                        Gemm.TapsFull512(kc, q, taps, lanes, packB + (long)j0 * kc, dwT + (long)m0 * kPad + j0, kPad, accumulate: true);
                    continue;
                }
                PackTapPanel(q, taps, lanes, kc, packA);
                for (int j0 = 0; j0 < kPad; j0 += Gemm.NR)
                    Gemm.Kernel(kc, packA, packB + (long)j0 * kc, dwT + (long)m0 * kPad + j0, kPad, Gemm.MR, Gemm.NR, accumulate: true);
            }
        }
        for (int k = 0; k < K; k++)
        {
            float* row = target + (long)k * crs;
            for (int j = tap0, end = Math.Min(crs, tap1); j < end; j++) row[j] += dwT[(long)j * kPad + k];
        }
    }

    /// <summary>A[k, i] = q[taps[i] + lanes[k]] for k &lt; kc as one MR-row panel: 8 positions of 8 taps per 8x8 transpose.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void PackTapPanel(float* q, int* taps, int* lanes, int kc, float* dst)
    {
        int k = 0;
        for (; k + 8 <= kc; k += 8, dst += 64)
        {
            // The 8 positions are at most two runs (rows of >= 8 outputs): lane j reads l0 + j before split, l1 + j after.
            int l0 = lanes[k], split = 1;
            while (split < 8 && lanes[k + split] == l0 + split) split++;
            int l1 = split < 8 ? lanes[k + split] - split : l0;
            var mask = Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(split)).AsSingle();
            var r0 = Row(q + taps[0], l0, l1, mask); var r1 = Row(q + taps[1], l0, l1, mask);
            var r2 = Row(q + taps[2], l0, l1, mask); var r3 = Row(q + taps[3], l0, l1, mask);
            var r4 = Row(q + taps[4], l0, l1, mask); var r5 = Row(q + taps[5], l0, l1, mask);
            var r6 = Row(q + taps[6], l0, l1, mask); var r7 = Row(q + taps[7], l0, l1, mask);
            Transpose8x8.Store(r0, r1, r2, r3, r4, r5, r6, r7, dst, 8);
        }
        for (; k < kc; k++, dst += Gemm.MR)
            for (int i = 0; i < Gemm.MR; i++) dst[i] = q[taps[i] + lanes[k]];

        static Vector256<float> Row(float* tap, int l0, int l1, Vector256<float> mask) =>
            Vector256.ConditionalSelect(mask, Vector256.Load(tap + l1), Vector256.Load(tap + l0));
    }
}
