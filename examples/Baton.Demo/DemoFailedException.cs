namespace Baton.Demo;

/// <summary>A step of the demo went wrong in a way the message fully explains (no stack trace needed on screen).</summary>
internal sealed class DemoFailedException(string message) : Exception(message);
