using Strider.Devices.Cpu;
using Strider.Training;

namespace Strider.Runtime.Tests.Training;

/// <summary>Each schedule's values against PyTorch's closed forms worked by hand, and the trainer applying them per epoch or per step.</summary>
public sealed class ScheduleTests : IDisposable
{
    private readonly CpuDevice _device = new(threads: 1);

    public void Dispose() => _device.Dispose();

    [Fact]
    public void Step_schedule_is_steplr()
    {
        // StepLR(step_size=2, gamma=0.5) from 0.1: 0.1, 0.1, 0.05, 0.05, 0.025.
        var s = new StepSchedule(stepSize: 2, gamma: 0.5);
        Assert.Equal([0.1, 0.1, 0.05, 0.05, 0.025], Enumerable.Range(0, 5).Select(e => s.Rate(0.1, e)));
        Assert.Equal(ScheduleInterval.Epoch, s.Interval);
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepSchedule(0));
    }

    [Fact]
    public void Cosine_schedule_warms_up_linearly_then_follows_cosine_annealing()
    {
        // LinearLR(start_factor=0.25, total_iters=4) then CosineAnnealingLR(T_max=8, eta_min=0.01), base 1.
        var s = new CosineSchedule(total: 12, warmup: 4, minRate: 0.01, startFactor: 0.25);
        double[] warm = [0.25, 0.4375, 0.625, 0.8125];
        for (int t = 0; t < 4; t++) Assert.Equal(warm[t], s.Rate(1, t), 12);
        Assert.Equal(1.0, s.Rate(1, 4), 12);
        Assert.Equal(0.01 + 0.99 * (1 + Math.Cos(Math.PI * 2 / 8)) / 2, s.Rate(1, 6), 12);
        Assert.Equal(0.505, s.Rate(1, 8), 12);
        Assert.Equal(0.01, s.Rate(1, 12), 12);
        Assert.Equal(0.01, s.Rate(1, 40), 12);
        Assert.Equal(ScheduleInterval.Step, s.Interval);
        Assert.Equal(0.5, new CosineSchedule(10).Rate(1, 5), 12);
    }

    [Fact]
    public void One_cycle_schedule_is_onecyclelr()
    {
        // OneCycleLR(max_lr=1, total_steps=10, pct_start=0.3): initial 1/25 = 0.04, min 0.04 / 1e4, phase ends at steps 2 and 9.
        var s = new OneCycleSchedule(maxRate: 1, totalSteps: 10);
        Assert.Equal(0.04, s.Rate(0, 0), 12);
        Assert.Equal(0.52, s.Rate(0, 1), 12);
        Assert.Equal(1.0, s.Rate(0, 2), 12);
        double pct = (5 - 2) / 7.0;
        Assert.Equal(4e-6 + (1 - 4e-6) / 2 * (Math.Cos(Math.PI * pct) + 1), s.Rate(0, 5), 12);
        Assert.Equal(4e-6, s.Rate(0, 9), 15);
        Assert.Contains("made for 10 steps", Assert.Throws<InvalidOperationException>(() => s.Rate(0, 10)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new OneCycleSchedule(1, 3));
    }

    private List<float> RatesSeen(LearningRateSchedule schedule, int epochs)
    {
        var (train, _) = Blobs.Make(100, seed: 1).Split(0.2, seed: 1);
        using var net = new LinearClassifier(_device, seed: 3);
        using var sgd = new Sgd(net, learningRate: 0.2f);
        using var trainer = new Trainer<Features4, Scores3>(net, sgd, Loss.SoftmaxCrossEntropy, batchSize: 40, seed: 5) { Log = null, Schedule = schedule };
        var rates = new List<float>();
        trainer.OnBatch = _ => rates.Add(sgd.LearningRate);
        trainer.Fit(train, epochs);
        return rates;
    }

    [Fact]
    public void The_trainer_applies_epoch_schedules_per_epoch_and_step_schedules_per_step()
    {
        // 80 examples in batches of 40: 2 steps per epoch.
        Assert.Equal([0.2f, 0.2f, 0.1f, 0.1f, 0.05f, 0.05f], RatesSeen(new StepSchedule(1, 0.5), 3));
        var cosine = new CosineSchedule(total: 6, warmup: 2, startFactor: 0.5);
        Assert.Equal(Enumerable.Range(0, 6).Select(t => (float)cosine.Rate(0.2, t)), RatesSeen(cosine, 3));
        var oneCycle = new OneCycleSchedule(1, 6, pctStart: 0.5);
        Assert.Equal(Enumerable.Range(0, 6).Select(t => (float)oneCycle.Rate(0, t)), RatesSeen(oneCycle, 3));
    }
}
