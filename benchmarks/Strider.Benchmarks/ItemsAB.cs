using System.Globalization;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// In-process A/B of batch 1's work-item split (`items-ab [workload] [rounds] [per-worker]`, W5 unless named): the
/// workload's Strider step with 8 items per worker (the split before session 9) and with
/// <see cref="CpuConvolution.BalanceItemsPerWorker"/>'s default (or the number given), alternated call by call, with the
/// median wall time of each and their ratio, and the calling thread's CPU time (on one thread: the finer split's own cost).
/// On a loaded machine rounds of alternation cancel the drift that separate processes would see.
/// </summary>
public static class ItemsAB
{
    public static void Run(string[] args)
    {
        string name = args.Length > 1 ? args[1] : "W5";
        int rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 60;
        int fine = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : CpuConvolution.BalanceItemsPerWorker;
        const int coarse = CpuConvolution.ItemsPerWorker;
        Console.WriteLine($"threads {Workloads.Threads}, load {File.ReadAllText("/proc/loadavg").Trim()}");
        var t = new TorchvisionWorkloads { Only = [name] };
        t.Setup();
        Action step = name switch
        {
            "W5" => t.W5Strider,
            "W6" => t.W6Strider,
            _ => throw new ArgumentException($"items-ab runs W5 or W6 (batch 1), not '{name}'."),
        };
        CpuConvolution.BalanceItemsPerWorker = fine;
        QuickConv.WarmUp(step);
        CpuConvolution.BalanceItemsPerWorker = coarse;
        QuickConv.WarmUp(step);
        double[] coarseWall = new double[rounds], fineWall = new double[rounds], ratio = new double[rounds], coarseCpu = new double[rounds], fineCpu = new double[rounds];
        for (int i = 0; i < rounds; i++)
        {
            // Alternate which goes first, so neither always follows the other's cache state.
            bool fineFirst = i % 2 == 0;
            CpuConvolution.BalanceItemsPerWorker = fineFirst ? fine : coarse;
            var first = QuickConv.TimeCpuAndWall(step);
            CpuConvolution.BalanceItemsPerWorker = fineFirst ? coarse : fine;
            var second = QuickConv.TimeCpuAndWall(step);
            var (f, c) = fineFirst ? (first, second) : (second, first);
            (fineWall[i], coarseWall[i], fineCpu[i], coarseCpu[i]) = (f.Wall, c.Wall, f.Cpu, c.Cpu);
            ratio[i] = fineWall[i] / coarseWall[i];
        }
        CpuConvolution.BalanceItemsPerWorker = fine;
        t.Cleanup();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {coarse} items per worker {QuickConv.Median(coarseWall):F2} ms, {fine} per worker {QuickConv.Median(fineWall):F2} ms wall (medians of {rounds}); median of the pairs' ratios {QuickConv.Median(ratio):F3}x; caller CPU {QuickConv.Median(coarseCpu):F2} against {QuickConv.Median(fineCpu):F2} ms"));
    }
}
