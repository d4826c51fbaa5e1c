NAME = "whisper-tiny.en"
def convert(log=print):
    raise NotImplementedError
