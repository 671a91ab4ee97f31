using System.Globalization;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// In-process A/B of a whole workload's step (`network-ab W1..W7 switch [reps]`; W1-W4 are the seed workloads): steps with a kernel switch
/// off (A, the kernel before the change) and on (B) alternated, with the median calling-thread CPU time and wall time of
/// each and their ratio. Run with STRIDER_THREADS=1 for the CPU time of the whole step (with more threads the caller's
/// CPU time is only its share). Switches: pointwise-block (<see cref="CpuConvolution.PointwiseBlockBytes"/> 0 or its default),
/// depthwise-wide (<see cref="CpuDepthwiseConvolution.WideRows"/>), depthwise-narrow (<see cref="CpuDepthwiseConvolution.NarrowRows"/>), depthwise-direct (<see cref="CpuDepthwiseConvolution.DirectRows"/>), expand-depthwise (<see cref="CpuDepthwiseConvolution.ExpandDepthwiseOff"/>:
/// each inverted-residual expansion and its depthwise conv as two ops, or one fused call), expand-28 (the 28x28 pairs
/// alone as two ops or fused), weight-transposes (<see cref="CpuConvolution.WinogradWeightTransposes"/>), both (the first two).
/// </summary>
public static class NetworkAB
{
    public static void Run(string[] args)
    {
        string name = args.Length > 1 ? args[1] : "W6";
        string change = args.Length > 2 ? args[2] : "pointwise-block";
        int reps = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 40;
        Console.WriteLine($"threads {Workloads.Threads}, {name}, switch {change}, load {File.ReadAllText("/proc/loadavg").Trim()}");
        int defaultBlockBytes = CpuConvolution.PointwiseBlockBytes;
        bool wideDefault = CpuDepthwiseConvolution.WideRows, directDefault = CpuDepthwiseConvolution.DirectRows;
        bool transposesDefault = CpuConvolution.WinogradWeightTransposes;
        int wgradTiles = int.Parse(Environment.GetEnvironmentVariable("WMIN") ?? "129", CultureInfo.InvariantCulture);
        Action<bool> set = change switch
        {
            "pointwise-block" => Switch(v => CpuConvolution.PointwiseBlockBytes = v, CpuConvolution.PointwiseBlockBytes, 0),
            "depthwise-wide" => enabled => CpuDepthwiseConvolution.WideRows = enabled && wideDefault,
            // The 3x3 depthwise rows read in place (on) or from the padded copy (off), in the forward and the fused pass.
            "depthwise-direct" => enabled => CpuDepthwiseConvolution.DirectRows = enabled && directDefault,
            "expand-depthwise" => enabled => CpuDepthwiseConvolution.ExpandDepthwiseOff = !enabled,
            // The 14x14 and 7x7 depthwise planes' flat path: one output row per vector, or the masked loads of 16 positions.
            "depthwise-narrow" => enabled => CpuDepthwiseConvolution.NarrowRows = enabled,
            // A batch of one's depthwise planes (and fused expansion bands) split into one band of rows per worker, or whole planes by channel.
            "row-split" => enabled => CpuDepthwiseConvolution.RowSplitOff = !enabled,
            // The Winograd weight gradient from WMIN tiles in the batch (default 129: the 7x7 convs of a batch of 8 off it) (on) or from its default 128 (off).
            "wgrad-tiles" => enabled => CpuConvolution.WinogradGradientMinTiles = enabled ? wgradTiles : 128,
            // The Winograd weight gradient's tiles summed in parts, one worker each (on), or by units split into items (off).
            "wgrad-parts" => enabled => CpuConvolution.WinogradGradientOneSum = !enabled,
            // The Winograd weight gradient's x tiles read as rows where the geometry chooses them (on), or gathered everywhere (off).
            "wgrad-rows" => enabled => CpuConvolution.WinogradGradientXRows = enabled ? null : false,
            // The Winograd weight gradient by F(4x4, 3x3) where the geometry chooses it (on), or by F(2x2, 3x3) everywhere (off).
            "wgrad4" => enabled => CpuConvolution.WinogradGradient4 = enabled ? null : false,
            // The 28x28 pairs fused (on) or run as two ops (off: the runtime's plane threshold above them), the larger ones fused both times.
            "expand-28" => enabled => CpuDepthwiseConvolution.ExpandMinPositions = enabled ? 28 * 28 : 29 * 29,
            // Backward weights of few weights over many positions (ResNet's stem) split over positions (on) or over taps (off).
            "position-split" => enabled => CpuConvolution.PositionSplitOff = !enabled,
            // The channel tiles prefetch their weights WeightPrefetchSteps depth steps ahead (on) or only the line in use (off).
            "prefetch" => Switch(v => CpuConvolution.WeightPrefetchSteps = v, CpuConvolution.WeightPrefetchSteps, 0),
            // A training step's 3x3 stride-2 max pool with switches by the separable rows (on) or the window loop (off).
            "pool-switches" => enabled => CpuPooling.SeparableSwitchesOff = !enabled,
            // Flipped backward data on Winograd from 128 tiles in the batch (on, the default: ResNet's 512x7x7 at batch 8) or from 256 (off, session 13's).
            "flipped-tiles" => Switch(v => CpuConvolution.FlippedWinogradMinTiles = v, 128, 256),
            // The Winograd weight transforms (forward and flipped U, once per step) by transposes of whole rows (on) or by gathers (off).
            "weight-transposes" => enabled => CpuConvolution.WinogradWeightTransposes = enabled && transposesDefault,
            // The stem's max pool (no switches) by 16-lane steps (on) or 8-lane steps (off).
            "pool-wide" => enabled => CpuPooling.Wide = enabled,
            // Runs of 16 positions (two tiles of 8) by chunks of 64 depth steps (on) or over the whole depth at once (off).
            "eight-chunks" => Switch(v => CpuConvolution.EightTileChunk = v, CpuConvolution.EightTileChunk, 0),
            "both" => enabled =>
            {
                CpuConvolution.PointwiseBlockBytes = enabled ? defaultBlockBytes : 0;
                CpuDepthwiseConvolution.WideRows = enabled && wideDefault;
            },
            _ => throw new ArgumentException($"Unknown switch '{change}': pointwise-block, depthwise-wide, depthwise-narrow, depthwise-direct, expand-depthwise, expand-28, row-split, wgrad-tiles, wgrad-parts, wgrad-rows, wgrad4, position-split, prefetch, pool-switches, flipped-tiles, weight-transposes, pool-wide, eight-chunks, both."),
        };
        if (name is "W1" or "W2" or "W3" or "W4")
        {
            var w = new Workloads();
            w.Setup();
            Action seed = name switch
            {
                "W1" => () => w.W1Strider(),
                "W2" => w.W2Strider,
                "W3" => () => w.W3Strider(),
                _ => w.W4Strider,
            };
            QuickConv.WarmUp(() => { set(false); seed(); set(true); seed(); });
            QuickConv.SwitchAB($"  {name}", "off", "on", set, seed, reps, warm: 0);
            w.Cleanup();
            return;
        }
        var t = new TorchvisionWorkloads { Only = [name] };
        t.Setup();
        Action step = name switch
        {
            "W5" => t.W5Strider,
            "W6" => t.W6Strider,
            "W7" => () => t.W7Strider(),
            _ => throw new ArgumentException($"network-ab runs W1 to W7, not '{name}'."),
        };
        QuickConv.WarmUp(() => { set(false); step(); set(true); step(); });
        QuickConv.SwitchAB($"  {name}", "off", "on", set, step, reps, warm: 0);
        t.Cleanup();
    }

    /// <summary>Sets the switch's value on (its default) or off.</summary>
    private static Action<bool> Switch(Action<int> assign, int on, int off) => enabled => assign(enabled ? on : off);
}
