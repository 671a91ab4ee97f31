using System;
using System.Globalization;
using System.IO;
using Spectre.Console;

namespace Strider.Training;

/// <summary>
/// Where <c>Fit</c> reports: a Spectre.Console live bar per epoch (epoch, batch, loss, examples/s, ETA) with a summary
/// line per epoch above it, or, when output is not a terminal, one plain line per epoch on the log.
/// </summary>
internal sealed class TrainingProgress
{
    private readonly TextWriter? _log;
    private readonly IAnsiConsole? _console;
    private readonly ProgressContext? _context;
    private ProgressTask? _task;
    private int _epoch, _epochs;

    private TrainingProgress(TextWriter? log, IAnsiConsole? console, ProgressContext? context)
    {
        _log = log;
        _console = console;
        _context = context;
    }

    /// <summary>
    /// Runs <paramref name="body"/> with a live bar on <paramref name="terminal"/> when given, else on the console when
    /// <paramref name="log"/> is the console's writer and the output is an interactive terminal; else with plain lines on <paramref name="log"/>.
    /// </summary>
    public static void Run(TextWriter? log, IAnsiConsole? terminal, Action<TrainingProgress> body)
    {
        var console = terminal ?? (IsTerminal(log) ? AnsiConsole.Console : null);
        if (console is null)
        {
            body(new TrainingProgress(log, null, null));
            return;
        }
        console.Progress()
            .AutoClear(false)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context => body(new TrainingProgress(null, console, context)));
    }

    /// <summary>True when <paramref name="log"/> is the console's writer on an interactive terminal (not redirected, not CI).</summary>
    internal static bool IsTerminal(TextWriter? log)
    {
        if (log is null || !ReferenceEquals(log, Console.Out) || Console.IsOutputRedirected) return false;
        string? ci = Environment.GetEnvironmentVariable("CI");
        return !(string.Equals(ci, "true", StringComparison.OrdinalIgnoreCase) || ci == "1");
    }

    public void StartEpoch(int epoch, int epochs, int batches)
    {
        _epoch = epoch;
        _epochs = epochs;
        if (_context is not null) _task = _context.AddTask(Describe(0, batches, null, null), maxValue: batches);
    }

    public void Batch(in BatchProgress p)
    {
        if (_task is null) return;
        _task.Value = p.Batch;
        _task.Description = Describe(p.Batch, p.Batches, p.Loss, p.ExamplesPerSecond);
    }

    public void EndEpoch(string line)
    {
        if (_console is null)
        {
            _log?.WriteLine(line);
            return;
        }
        _task?.StopTask();
        _console.WriteLine(line);
    }

    private string Describe(int batch, int batches, float? loss, double? examplesPerSecond)
    {
        var c = CultureInfo.InvariantCulture;
        string text = string.Create(c, $"epoch {_epoch}/{_epochs}  batch {batch}/{batches}");
        if (loss is float l) text += string.Create(c, $"  loss {l:F4}");
        if (examplesPerSecond is double s) text += string.Create(c, $"  {s:N0} ex/s");
        return Markup.Escape(text);
    }
}
