using System.Diagnostics;
using System.Globalization;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// `handout [rounds]`: W5 and W6 with the worker pool's two-ended hand-out against every worker taking items from the
/// front (the interleaved hand-out before it), alternated in one process, each round with ORT's time and the round
/// trip of a cache line between two threads, which tells the VM's two states apart (80-180 ns: the vCPUs are close;
/// 335-460 ns: far apart). `handout [rounds] shares`: W5 and W6 with each take a share of the items left against one
/// item a take (<see cref="WorkerPool.OneAtATime"/>), alternated step by step, with ORT's W6 and the round trip.
/// </summary>
internal static class HandoutAB
{
    private static long s_flag;

    /// <summary>Nanoseconds per round trip of one cache line bounced between this thread and a new one.</summary>
    public static double CacheLineRoundTrip()
    {
        const int trips = 200_000;
        Volatile.Write(ref s_flag, 0);
        var other = new Thread(() =>
        {
            for (int i = 0; i < trips; i++)
            {
                while (Volatile.Read(ref s_flag) != 2L * i + 1) { }
                Volatile.Write(ref s_flag, 2L * i + 2);
            }
        });
        other.Start();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < trips; i++)
        {
            Volatile.Write(ref s_flag, 2L * i + 1);
            while (Volatile.Read(ref s_flag) != 2L * i + 2) { }
        }
        other.Join();
        return clock.Elapsed.TotalMilliseconds * 1e6 / trips;
    }

    public static void Run(string[] args)
    {
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 6;
        var t = new TorchvisionWorkloads { Only = ["W5", "W6"] };
        t.Setup();
        bool shares = args.Length > 2 && args[2] == "shares";
        var w = new Workloads();
        if (shares) w.Setup();
        for (int round = 0; round < rounds && shares; round++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round + 1}: cache-line round trip {CacheLineRoundTrip():F0} ns"));
            QuickConv.Measure("W6 ORT", t.W6Ort, 0, 15);
            QuickConv.SwitchAB("W6 Strider", "one item a take", "shares", on => WorkerPool.OneAtATime = !on, t.W6Strider, 60, warm: 10);
            QuickConv.SwitchAB("W5 Strider", "one item a take", "shares", on => WorkerPool.OneAtATime = !on, t.W5Strider, 20, warm: 5);
            QuickConv.SwitchAB("W3 Strider", "one item a take", "shares", on => WorkerPool.OneAtATime = !on, () => w.W3Strider(), 10, warm: 3);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   then {CacheLineRoundTrip():F0} ns"));
        }
        for (int round = 0; round < rounds && !shares; round++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round + 1}: cache-line round trip {CacheLineRoundTrip():F0} ns"));
            QuickConv.Measure("W5 ORT", t.W5Ort, 0, 10);
            QuickConv.Measure("W6 ORT", t.W6Ort, 0, 15);
            foreach (bool frontOnly in new[] { true, false })
            {
                WorkerPool.FrontOnly = frontOnly;
                QuickConv.Measure(frontOnly ? "W5 Strider, front only" : "W5 Strider, two-ended", t.W5Strider, 0, 10);
                QuickConv.Measure(frontOnly ? "W6 Strider, front only" : "W6 Strider, two-ended", t.W6Strider, 0, 15);
            }
            WorkerPool.FrontOnly = false;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   then {CacheLineRoundTrip():F0} ns"));
        }
        if (shares) w.Cleanup();
        t.Cleanup();
    }
}
