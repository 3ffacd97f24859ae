"""A client written the way the original Python demo's users wrote theirs:
the `websockets` library, text frames, the session ID in the path. The only
addition is the token. Prints each echo on its own line."""
import asyncio
import sys

import websockets


async def main(url: str, messages: list[str]) -> None:
    async with websockets.connect(url) as ws:
        for message in messages:
            await ws.send(message)
            print(await ws.recv(), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2:]))
