using System;

namespace Strider.Training;

/// <summary>When a <see cref="LearningRateSchedule"/> advances: once per epoch or once per optimizer step (batch).</summary>
public enum ScheduleInterval
{
    /// <summary>Position = completed epochs; the rate is set before each epoch (PyTorch: <c>scheduler.step()</c> after each epoch).</summary>
    Epoch,

    /// <summary>Position = optimizer steps taken; the rate is set before each step (PyTorch: <c>scheduler.step()</c> after each <c>optimizer.step()</c>).</summary>
    Step,
}

/// <summary>
/// A learning rate as a function of the position in training (completed epochs or steps, per
/// <see cref="Interval"/>), in closed form so that a checkpoint only needs the position. The
/// <see cref="Trainer{TIn, TOut}"/> sets the optimizer's rate from it before each epoch or step.
/// </summary>
public abstract class LearningRateSchedule
{
    protected LearningRateSchedule(ScheduleInterval interval) => Interval = interval;

    /// <summary>Whether the position counts epochs or steps.</summary>
    public ScheduleInterval Interval { get; }

    /// <summary>The rate at <paramref name="position"/> (0 for the first epoch or step), from the optimizer's initial rate <paramref name="baseRate"/>.</summary>
    public abstract double Rate(double baseRate, long position);

    protected static void CheckPosition(long position)
    {
        if (position < 0) throw new ArgumentOutOfRangeException(nameof(position), position, "A schedule's position counts from 0.");
    }
}

/// <summary>
/// Decays the rate by <paramref name="gamma"/> every <paramref name="stepSize"/> epochs, as PyTorch's <c>StepLR</c>
/// (closed form base · gamma^floor(epoch / stepSize)); stepped per epoch unless <paramref name="interval"/> says otherwise.
/// </summary>
public sealed class StepSchedule(int stepSize, double gamma = 0.1, ScheduleInterval interval = ScheduleInterval.Epoch) : LearningRateSchedule(interval)
{
    public int StepSize { get; } = stepSize > 0 ? stepSize : throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "The step size must be at least 1.");
    public double Gamma { get; } = gamma > 0 && double.IsFinite(gamma) ? gamma : throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be positive and finite.");

    public override double Rate(double baseRate, long position)
    {
        CheckPosition(position);
        return baseRate * Math.Pow(Gamma, position / StepSize);
    }
}

/// <summary>
/// Linear warm-up then cosine annealing, as PyTorch's <c>SequentialLR</c> of <c>LinearLR(start_factor,
/// end_factor=1, total_iters=warmup)</c> and <c>CosineAnnealingLR(T_max=total - warmup, eta_min)</c> in closed form:
/// for t &lt; warmup, base · (startFactor + (1 - startFactor) t / warmup); then
/// minRate + (base - minRate)(1 + cos(π (t - warmup) / (total - warmup))) / 2; past total it holds
/// minRate (where PyTorch's cosine would rise again). Usually stepped per batch; the default here.
/// </summary>
public sealed class CosineSchedule : LearningRateSchedule
{
    public CosineSchedule(long total, long warmup = 0, double minRate = 0, double startFactor = 1.0 / 3, ScheduleInterval interval = ScheduleInterval.Step)
        : base(interval)
    {
        if (total <= 0) throw new ArgumentOutOfRangeException(nameof(total), total, "The schedule needs at least one step.");
        if (warmup < 0 || warmup >= total) throw new ArgumentOutOfRangeException(nameof(warmup), warmup, $"The warm-up must be in 0..{total - 1} (total {total}).");
        if (!(minRate >= 0) || double.IsInfinity(minRate)) throw new ArgumentOutOfRangeException(nameof(minRate), minRate, "The final rate must be finite and not negative.");
        if (!(startFactor > 0 && startFactor <= 1)) throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, "The warm-up's start factor must be in (0, 1] (as LinearLR's).");
        Total = total;
        Warmup = warmup;
        MinRate = minRate;
        StartFactor = startFactor;
    }

    public long Total { get; }
    public long Warmup { get; }
    public double MinRate { get; }
    public double StartFactor { get; }

    public override double Rate(double baseRate, long position)
    {
        CheckPosition(position);
        if (position < Warmup) return baseRate * (StartFactor + (1 - StartFactor) * position / Warmup);
        if (position >= Total) return MinRate;
        double progress = (double)(position - Warmup) / (Total - Warmup);
        return MinRate + (baseRate - MinRate) * (1 + Math.Cos(Math.PI * progress)) / 2;
    }
}

/// <summary>
/// The one-cycle policy (Smith and Topin), as PyTorch's <c>OneCycleLR</c> with anneal_strategy='cos',
/// three_phase=False and cycle_momentum=False (the momentum is not cycled): the rate rises from
/// maxRate / divFactor to maxRate over the first pctStart of totalSteps, then falls to
/// maxRate / (divFactor · finalDivFactor), each by cosine annealing. Stepped per batch; ignores the optimizer's own
/// rate, as PyTorch does. A step past the total throws, as PyTorch does.
/// </summary>
public sealed class OneCycleSchedule : LearningRateSchedule
{
    public OneCycleSchedule(double maxRate, long totalSteps, double pctStart = 0.3, double divFactor = 25, double finalDivFactor = 1e4)
        : base(ScheduleInterval.Step)
    {
        if (!(maxRate > 0) || double.IsInfinity(maxRate)) throw new ArgumentOutOfRangeException(nameof(maxRate), maxRate, "The peak rate must be positive and finite.");
        if (totalSteps <= 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "One cycle needs at least 2 steps.");
        if (!(pctStart > 0 && pctStart < 1)) throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, "pctStart must be in (0, 1).");
        if (!(divFactor > 0) || !(finalDivFactor > 0)) throw new ArgumentOutOfRangeException(nameof(divFactor), "The division factors must be positive.");
        // Each phase needs a step to anneal over, or PyTorch's formula divides by zero.
        double warmupEnd = pctStart * totalSteps - 1;
        if (warmupEnd < 1 || warmupEnd >= totalSteps - 1)
            throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, $"pctStart x totalSteps ({pctStart} x {totalSteps}) leaves a phase without steps; use more steps or another pctStart.");
        MaxRate = maxRate;
        TotalSteps = totalSteps;
        PctStart = pctStart;
        InitialRate = maxRate / divFactor;
        FinalRate = InitialRate / finalDivFactor;
    }

    public double MaxRate { get; }
    public long TotalSteps { get; }
    public double PctStart { get; }
    public double InitialRate { get; }
    public double FinalRate { get; }

    public override double Rate(double baseRate, long position)
    {
        CheckPosition(position);
        if (position >= TotalSteps)
            throw new InvalidOperationException($"The one-cycle schedule was stepped {position + 1} times; it was made for {TotalSteps} steps (totalSteps = epochs x batches per epoch).");
        // PyTorch's phase ends: float(pct_start * total_steps) - 1, then total_steps - 1.
        double warmupEnd = PctStart * TotalSteps - 1, end = TotalSteps - 1;
        return position <= warmupEnd
            ? Anneal(InitialRate, MaxRate, position / warmupEnd)
            : Anneal(MaxRate, FinalRate, (position - warmupEnd) / (end - warmupEnd));
    }

    private static double Anneal(double start, double end, double pct) => end + (start - end) / 2 * (Math.Cos(Math.PI * pct) + 1);
}
