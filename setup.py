"Packaging for minifast: everything is read from settings.ini, the file nbdev 2 also reads."
from configparser import ConfigParser
import setuptools

cfg = ConfigParser(delimiters=['='])
cfg.read('settings.ini', encoding='utf-8')
cfg = cfg['DEFAULT']

licenses = {'apache2': ('Apache Software License 2.0', 'OSI Approved :: Apache Software License')}
lic = licenses[cfg['license']]

setuptools.setup(
    name=cfg['lib_name'], version=cfg['version'], description=cfg['description'],
    long_description=open('README.md', encoding='utf-8').read(), long_description_content_type='text/markdown',
    author=cfg['author'], author_email=cfg['author_email'], url=cfg['git_url'],
    license=lic[0], keywords=cfg['keywords'].split(),
    classifiers=['Development Status :: 3 - Alpha', 'Intended Audience :: Developers',
                 f'License :: {lic[1]}', 'Natural Language :: English',
                 'Programming Language :: Python :: 3 :: Only'],
    packages=setuptools.find_packages(include=['minifast', 'minifast.*']),
    include_package_data=True, zip_safe=False,
    python_requires=f">={cfg['min_python']}",
    install_requires=cfg['requirements'].split(),
    extras_require={'dev': cfg['dev_requirements'].split() + cfg['pretrained_requirements'].split(),
                    'pretrained': cfg['pretrained_requirements'].split()},
    entry_points={'nbdev': [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"],
                  'console_scripts': [s.strip() for s in cfg['console_scripts'].split(';')]},
)
