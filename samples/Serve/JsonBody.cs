using System.Text.Json;

/// <summary>
/// Reads a request's JSON body, refusing what the service cannot read with the status that says why: 415 for another
/// content type, 413 for a body over the limit (Kestrel enforces it while reading, and a declared length is checked first),
/// 400 for malformed JSON or no body.
/// </summary>
internal static class JsonBody
{
    public static async Task<T> ReadAsync<T>(HttpRequest request, JsonSerializerOptions json, long maxBytes) where T : class
    {
        if (!request.HasJsonContentType())
            throw new RequestError(StatusCodes.Status415UnsupportedMediaType,
                $"Expected a JSON body (Content-Type: application/json), got '{request.ContentType ?? "no content type"}'.");
        if (request.ContentLength > maxBytes) throw TooLarge(maxBytes);
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(request.Body, json, request.HttpContext.RequestAborted)
                ?? throw new RequestError(StatusCodes.Status400BadRequest, "The body is the JSON null; expected an object.");
        }
        catch (JsonException e)
        {
            throw new RequestError(StatusCodes.Status400BadRequest, $"The body is not valid JSON for this endpoint: {e.Message}");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(maxBytes);
        }
    }

    private static RequestError TooLarge(long maxBytes)
        => new(StatusCodes.Status413PayloadTooLarge, $"The body is larger than {maxBytes} bytes (--max-body-bytes).");
}
